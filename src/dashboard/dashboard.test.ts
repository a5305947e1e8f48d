import { describe, expect, it } from "vitest";
import { ok } from "../core/result.js";
import { createDashboardApp } from "./dashboard-app.js";
import { SessionStore } from "./sessions.js";
import { barChart, stackedBarChart } from "./svg-chart.js";

describe("dashboard sessions", () => {
  it("end at expiry and at logout, and never answer for a made-up id", () => {
    let now = 1_000;
    const store = new SessionStore<string>(60_000, () => now);
    const id = store.create("someone");
    expect(store.get(id)?.principal).toBe("someone");
    expect(store.get(`${id}x`)).toBeUndefined();
    expect(store.get(undefined)).toBeUndefined();
    now += 60_000;
    expect(store.get(id)).toBeUndefined();
    const second = store.create("someone");
    store.end(second);
    expect(store.get(second)).toBeUndefined();
  });
});

describe("SVG charts", () => {
  it("escape labels and draw one bar group per bucket", () => {
    const svg = stackedBarChart(["a", "b"], [{ label: "<script>x</script>", values: [1, 2] }], {
      title: "t & u",
    });
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;");
    expect(svg).toContain("t &amp; u");
    expect(svg.match(/<g class="bar">/g)?.length).toBe(2);
    expect(barChart([], { title: "empty" })).toContain("No data.");
  });
});

describe("the dashboard app", () => {
  const app = () =>
    createDashboardApp({
      product: "test",
      sessionTtlMs: 60_000,
      login: {
        fields: "",
        describe: () => "someone",
        authenticate: async (form) =>
          form.get("secret") === "right" ? ok("someone") : { ok: false, error: "no" },
      },
      pages: [{ path: "/", title: "home", render: async () => "<p>home</p>" }],
    });
  const form = (body: string, headers: Record<string, string> = {}) => ({
    method: "POST" as const,
    url: "/login",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    payload: body,
  });

  it("throttles failed logins per address: 429 after ten in a minute", async () => {
    const dashboard = app();
    for (let i = 0; i < 10; i++)
      expect((await dashboard.inject(form("secret=wrong"))).statusCode).toBe(403);
    const throttled = await dashboard.inject(form("secret=right"));
    expect(throttled.statusCode).toBe(429);
    expect(throttled.json()).toMatchObject({ errcode: "M_LIMIT_EXCEEDED" });
  });

  it("refuses a login form from another site or with Origin null, and non-form bodies", async () => {
    const dashboard = app();
    const foreign = await dashboard.inject(form("secret=right", { origin: "http://evil.example" }));
    expect(foreign.statusCode).toBe(403);
    expect(foreign.headers["set-cookie"]).toBeUndefined();
    expect((await dashboard.inject(form("secret=right", { origin: "null" }))).statusCode).toBe(403);
    const json = await dashboard.inject({
      method: "POST",
      url: "/login",
      headers: { "content-type": "application/json" },
      payload: '{"secret":"right"}',
    });
    expect(json.statusCode).toBe(400);
    const good = await dashboard.inject(form("secret=right"));
    expect(good.statusCode).toBe(303);
    expect(good.headers["content-security-policy"]).toContain("script-src 'none'");
  });
});
