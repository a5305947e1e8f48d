import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, defaultLogFormat, prettyStream } from "./logger.js";

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

describe("logger", () => {
  it("writes JSON unless stderr is a terminal", () => {
    expect(defaultLogFormat({ isTTY: true })).toBe("pretty");
    expect(defaultLogFormat({ isTTY: false })).toBe("json");
    expect(defaultLogFormat({})).toBe("json");
  });

  it("writes one readable line per entry for a person, with the service in front", () => {
    const out = collect();
    const logger = createLogger("info", "guard", prettyStream(out.stream, false));
    logger.info({ callbacks: "http://127.0.0.1:8481" }, "guard listening");
    const text = out.text();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: \[guard\] guard listening\n/);
    expect(text).toContain('callbacks: "http://127.0.0.1:8481"');
    expect(() => JSON.parse(text) as unknown).toThrow();
  });

  it("redacts secrets in the readable format too", () => {
    const out = collect();
    const logger = createLogger("info", "lookup", prettyStream(out.stream, false));
    logger.info({ token: "syt_secret_value", room_id: "!synthetic-0001:example.org" }, "x");
    expect(out.text()).not.toContain("syt_secret_value");
    expect(out.text()).not.toContain("synthetic-0001");
    expect(out.text()).toContain("[redacted]");
  });
});
