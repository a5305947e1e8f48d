import { describe, expect, it } from "vitest";
import { ok, err, type Result } from "../../../core/result.js";
import type { MatrixAnswer, MatrixCall } from "../synapse/matrix-http.js";
import { MatrixAlertSender, type AlertOutcome } from "./alert-sender.js";

interface Call {
  method: string;
  path: string;
  body: unknown;
}

/** A homeserver that answers from a script, one answer per call, then 200. */
function scriptedHomeserver(script: Result<MatrixAnswer, string>[]) {
  const calls: Call[] = [];
  const call: MatrixCall = async (method, path, body) => {
    calls.push({ method, path, body });
    if (path.includes("/join/"))
      return ok({ status: 200, body: { room_id: "!alerts:example.org" } });
    return script.shift() ?? ok({ status: 200, body: { event_id: "$e" } });
  };
  return { calls, call, sends: () => calls.filter((c) => c.path.includes("/send/")) };
}

const text = (n: number) => ({ plain: `alert ${n}`, html: `<b>alert ${n}</b>` });

describe("MatrixAlertSender", () => {
  it("posts m.notice with plain and HTML bodies and no mentions, in order", async () => {
    const hs = scriptedHomeserver([]);
    const sender = new MatrixAlertSender({ call: hs.call, roomId: "!alerts:example.org" });
    sender.post("join_refused", text(1));
    sender.post("join_refused", text(2));
    await sender.idle();
    expect(hs.sends().map((c) => c.body)).toEqual([
      {
        msgtype: "m.notice",
        body: "alert 1",
        format: "org.matrix.custom.html",
        formatted_body: "<b>alert 1</b>",
        "m.mentions": {},
      },
      {
        msgtype: "m.notice",
        body: "alert 2",
        format: "org.matrix.custom.html",
        formatted_body: "<b>alert 2</b>",
        "m.mentions": {},
      },
    ]);
    expect(hs.sends()[0]?.path).toMatch(
      /^\/_matrix\/client\/v3\/rooms\/!alerts%3Aexample\.org\/send\/m\.room\.message\/redlight-[0-9a-f]{12}-1$/,
    );
  });

  it("retries with backoff under the same transaction id, and counts every outcome", async () => {
    const hs = scriptedHomeserver([
      err("unreachable"),
      ok({ status: 502, body: undefined }),
      ok({ status: 429, body: { errcode: "M_LIMIT_EXCEEDED", retry_after_ms: 30 } }),
    ]);
    const outcomes: AlertOutcome[] = [];
    const sender = new MatrixAlertSender({
      call: hs.call,
      roomId: "!alerts:example.org",
      baseDelayMs: 5,
      onOutcome: (_kind, outcome) => outcomes.push(outcome),
    });
    const started = Date.now();
    sender.post("account_frozen", text(1));
    await sender.idle();
    expect(outcomes).toEqual(["retried", "retried", "retried", "sent"]);
    const paths = new Set(hs.sends().map((c) => c.path));
    expect(hs.sends()).toHaveLength(4);
    expect(paths.size).toBe(1); // the same txn id: Synapse posts it once
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 + 10 + 30);
  });

  it("gives up after max attempts, and at once on a message the server will never take", async () => {
    const failing = scriptedHomeserver(Array.from({ length: 10 }, () => err("timeout")));
    const outcomes: string[] = [];
    const sender = new MatrixAlertSender({
      call: failing.call,
      roomId: "!a:example.org",
      baseDelayMs: 1,
      maxAttempts: 3,
      onOutcome: (kind, outcome) => outcomes.push(`${kind}:${outcome}`),
    });
    sender.post("x", text(1));
    await sender.idle();
    expect(outcomes).toEqual(["x:retried", "x:retried", "x:failed"]);

    const bad = scriptedHomeserver([ok({ status: 400, body: { errcode: "M_BAD_JSON" } })]);
    const results: string[] = [];
    const s2 = new MatrixAlertSender({
      call: bad.call,
      roomId: "!a:example.org",
      onOutcome: (_k, o, r) => results.push(`${o} ${r}`),
    });
    s2.post("y", text(2));
    await s2.idle();
    expect(results).toEqual(["failed HTTP 400 M_BAD_JSON"]);
  });

  it("joins the alert room when it is not in it yet, then delivers", async () => {
    const hs = scriptedHomeserver([ok({ status: 403, body: { errcode: "M_FORBIDDEN" } })]);
    const sender = new MatrixAlertSender({
      call: hs.call,
      roomId: "!a:example.org",
      baseDelayMs: 1,
    });
    sender.post("x", text(1));
    await sender.idle();
    expect(hs.calls.map((c) => c.path.split("/")[4])).toEqual(["rooms", "join", "rooms"]);
  });

  it("drops alerts beyond the queue bound instead of growing without limit", async () => {
    const hs = scriptedHomeserver([]);
    const outcomes: string[] = [];
    const sender = new MatrixAlertSender({
      call: hs.call,
      roomId: "!a:example.org",
      maxQueue: 2,
      onOutcome: (_k, o) => outcomes.push(o),
    });
    for (let i = 0; i < 4; i++) sender.post("x", text(i));
    await sender.idle();
    expect(outcomes.sort()).toEqual(["dropped", "dropped", "sent", "sent"]);
  });

  it("posts nothing after stop and does not hang on a dead homeserver", async () => {
    const hs = scriptedHomeserver(Array.from({ length: 50 }, () => err("unreachable")));
    const sender = new MatrixAlertSender({
      call: hs.call,
      roomId: "!a:example.org",
      baseDelayMs: 10_000,
    });
    sender.post("x", text(1));
    await sender.stop(10);
    sender.post("x", text(2));
    expect(hs.sends()).toHaveLength(1);
  });
});
