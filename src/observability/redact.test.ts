import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { redactUrl, redactUrlsDeep, redactUrlsIn } from "./redact.js";

/** [input, expected, secrets that must not survive]. */
const CASES: Array<[string, string, string[]]> = [
  // Database connection strings.
  [
    "postgres://:pw-0001@db.example/redlight",
    "postgres://[redacted]@db.example/redlight",
    ["pw-0001"],
  ],
  [
    "postgres://redlight:pw-0002@db.example:5432/redlight",
    "postgres://[redacted]@db.example:5432/redlight",
    ["pw-0002"],
  ],
  [
    "postgres://redlight@db.example/redlight?password=pw-0003&sslmode=require",
    "postgres://[redacted]@db.example/redlight?password=[redacted]&sslmode=require",
    ["pw-0003"],
  ],
  [
    "postgresql://db.example/redlight?user=u&PassWord=pw-0004",
    "postgresql://db.example/redlight?user=[redacted]&PassWord=[redacted]",
    ["pw-0004"],
  ],
  [
    "postgres://u:pw@0005@db.example/redlight",
    "postgres://[redacted]@db.example/redlight",
    ["pw@0005", "pw%400005"],
  ],
  // What WHATWG URL parsing refuses: a socket directory, a raw `?` in the password.
  [
    "postgresql://u:pw-0006@/redlight?host=/var/run/postgresql",
    "postgresql://[redacted]@/redlight?host=/var/run/postgresql",
    ["pw-0006"],
  ],
  ["postgresql://u:pw?0007@db.example/x", "postgresql://[redacted]@db.example/x", ["pw?0007"]],
  // Homeserver and lookup URLs.
  [
    "http://alice:pw-0008@hs.example:8008",
    "http://[redacted]@hs.example:8008/",
    ["pw-0008", "alice"],
  ],
  ["https://tok-0009@hs.example/", "https://[redacted]@hs.example/", ["tok-0009"]],
  [
    "https://hs.example/_matrix?access_token=tok-0010&token=tok-0011&password=pw-0012",
    "https://hs.example/_matrix?access_token=[redacted]&token=[redacted]&password=[redacted]",
    ["tok-0010", "tok-0011", "pw-0012"],
  ],
  // Presigned list URLs, bare parameters, fragments.
  [
    "https://bucket.example/list.enc?X-Amz-Signature=sig-0013&X-Amz-Credential=cred-0014",
    "https://bucket.example/list.enc?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]",
    ["sig-0013", "cred-0014"],
  ],
  ["https://h.example/list?sec-0015", "https://h.example/list?[redacted]", ["sec-0015"]],
  ["http://h.example/p#access_token=tok-0016", "http://h.example/p#[redacted]", ["tok-0016"]],
  // Nothing to hide, or not a URL at all.
  // Nothing to hide: returned exactly as written (no trailing slash added).
  ["http://127.0.0.1:8480", "http://127.0.0.1:8480", []],
  [
    "postgres://db.example/redlight?sslmode=require",
    "postgres://db.example/redlight?sslmode=require",
    [],
  ],
  ["sqlite:./data/redlight.db", "sqlite:./data/redlight.db", []],
  ["./secrets/list.key", "./secrets/list.key", []],
];

describe("redactUrl", () => {
  it.each(CASES)("%s → %s", (input, expected, secrets) => {
    const out = redactUrl(input);
    expect(out).toBe(expected);
    for (const secret of secrets) expect(out).not.toContain(secret);
  });

  it("redacts every URL inside a longer text, and leaves other text alone", () => {
    expect(redactUrlsIn("GET http://u:pw-0017@h.example/x failed: reset")).toBe(
      "GET http://[redacted]@h.example/x failed: reset",
    );
    expect(redactUrlsIn("no url here: a:b@c")).toBe("no url here: a:b@c");
  });

  it("redacts URLs in every string of a nested value, leaving the rest as it was", () => {
    const value = {
      database: "postgres://:pw-0018@db.example/r",
      guard: { lookup: { url: "http://h.example/?token=tok-0019", timeout: "1s" } },
      sources: [{ url: "https://u:pw-0020@h.example/l" }, { file: "./list.json" }],
      count: 3,
    };
    const out = JSON.stringify(redactUrlsDeep(value));
    for (const secret of ["pw-0018", "tok-0019", "pw-0020"]) expect(out).not.toContain(secret);
    expect(redactUrlsDeep(value).guard.lookup.timeout).toBe("1s");
    expect(redactUrlsDeep(value).count).toBe(3);
    expect(value.database).toContain("pw-0018"); // the input is not changed
  });

  it("is applied to every log line's fields", async () => {
    let written = "";
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString();
        done();
      },
    });
    const logger = createLogger("info", "test", sink);
    logger.warn(
      {
        reason: "fetch http://u:pw-0021@h.example/l?sig=sig-0022 failed",
        nested: { password: "pw-0023" },
      },
      "list source failed",
    );
    expect(written).toContain("list source failed");
    for (const secret of ["pw-0021", "sig-0022", "pw-0023"]) expect(written).not.toContain(secret);
  });
});
