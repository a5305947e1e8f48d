import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TermMatcher } from "../../../core/text/index.js";
import { createHttpServer } from "../../../http/fastify.js";
import { createGuardMetrics } from "../metrics/guard-metrics.js";
import { registerTextCheckRoute, writeGuardError } from "../routes.js";
import { SearchRedirector } from "./search-redirect.js";
import { TEXT_CHECK_PATH, TextCheck } from "./text-check.js";
import { InlineTextMatcher } from "./text-pool.js";

const KEY = "synthetic-text-check-key";
const HELP = { en: "Synthetic help.", fr: "Aide synthétique." };

describe("POST /_policyserv/v1/check/text", () => {
  let app: FastifyInstance;
  const metrics = createGuardMetrics();

  beforeEach(async () => {
    app = createHttpServer({ bodyLimit: 4096, writeError: writeGuardError });
    const redirector = new SearchRedirector({
      texts: new InlineTextMatcher(
        new TermMatcher([{ id: "fruit", harms: ["m.spam", "m.other"], terms: ["pineapple"] }]),
      ),
      listTexts: new Map([["fruit", HELP]]),
      fallbackTexts: { en: "x" },
      defaultLanguage: "en",
    });
    registerTextCheckRoute(app, new TextCheck(redirector, metrics), KEY);
    await app.ready();
  });
  afterEach(() => app.close());

  const check = (payload: string, headers: Record<string, string> = {}) =>
    app.inject({
      method: "POST",
      url: TEXT_CHECK_PATH,
      payload,
      headers: {
        authorization: `Bearer ${KEY}`,
        "content-type": "text/plain; charset=utf-8",
        ...headers,
      },
    });

  it("answers 200 {} for fine text, empty text and innocent longer words", async () => {
    for (const text of ["orchard", "", "pineapplesauce", "  "]) {
      const res = await check(text);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({});
    }
  });

  it("answers 400 ORG.MATRIX.MSC4387_SAFETY with harms under both keys for a match", async () => {
    const res = await check("ｐｉｎｅａｐｐｌｅ", { "accept-language": "fr" });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      errcode: "ORG.MATRIX.MSC4387_SAFETY",
      error: HELP.fr,
      messages: HELP,
      "org.matrix.msc4176.messages": HELP,
      harms: ["m.spam", "m.other"],
      "org.matrix.msc4387.harms": ["m.spam", "m.other"],
      expiry: null,
    });
    const counted = await metrics.registry.getSingleMetricAsString(
      "redlight_guard_searches_redirected_total",
    );
    expect(counted).toContain('list="fruit",harm="m.other",surface="text_check"} 1');
  });

  it("needs the bearer key", async () => {
    const missing = await app.inject({
      method: "POST",
      url: TEXT_CHECK_PATH,
      payload: "pineapple",
    });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ errcode: "M_MISSING_TOKEN" });
    const wrong = await check("pineapple", { authorization: "Bearer nope" });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ errcode: "M_UNKNOWN_TOKEN" });
    expect((await app.inject({ method: "GET", url: TEXT_CHECK_PATH })).statusCode).toBe(405);
  });
});
