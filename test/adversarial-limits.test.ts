/**
 * Named protocol abuses and limits: request smuggling shapes, header floods,
 * Expect, missing Host, body limits at and over their edges, and slow requests — bodies
 * that trickle in within the timeout are served; stalled or dribbling requests are cut off
 * with 408 within about 10 s while everyone else is served meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ljs4Hash } from "../src/core/hash.js";
import { cleanRoom, startLookupFixture, type LookupFixture } from "./support/lookup-fixture.js";
import { rawRequest, requestBytes } from "./support/raw-http.js";

const LOOKUP = "/_matrix/loj/v1/abuse_lookup";
let fx: LookupFixture;
let token: string;

beforeAll(async () => {
  fx = await startLookupFixture({ clients: [{ name: "hs1", scopes: ["directory"] }] });
  token = fx.tokens.hs1 as string;
});
afterAll(async () => {
  await fx?.stop();
});

const send = (bytes: Buffer, head = false, base = fx.handle.apiUrl) =>
  rawRequest(base, bytes, { head, timeoutMs: 5_000 });
const lookupBody = (room = cleanRoom(1)) =>
  Buffer.from(
    JSON.stringify({ room_id_hash: ljs4Hash(room), user_id_hash: ljs4Hash("@wire:example.org") }),
  );

describe("named protocol abuses", () => {
  const H = (extra: [string, string | Buffer][] = []): [string, string | Buffer][] => [
    ["host", "x"],
    ["authorization", `Bearer ${token}`],
    ...extra,
    ["connection", "close"],
  ];
  const cases: Array<[string, () => Buffer, number, string | undefined]> = [
    ["a made-up method", () => requestBytes("FOO", LOOKUP, H()), 400, "M_BAD_JSON"],
    ["CONNECT", () => requestBytes("CONNECT", "example.org:443", H()), 405, "M_UNRECOGNIZED"],
    ["TRACE", () => requestBytes("TRACE", LOOKUP, H()), 404, "M_UNRECOGNIZED"],
    [
      "a bad chunk size",
      () =>
        requestBytes("PUT", LOOKUP, H([["transfer-encoding", "chunked"]]), Buffer.from("zz\r\n")),
      400,
      "M_BAD_JSON",
    ],
    [
      "Content-Length with Transfer-Encoding (request smuggling)",
      () =>
        requestBytes(
          "PUT",
          LOOKUP,
          H([
            ["content-length", "3"],
            ["transfer-encoding", "chunked"],
          ]),
          Buffer.from("0\r\n\r\n"),
        ),
      400,
      "M_BAD_JSON",
    ],
    [
      "two different Content-Lengths",
      () =>
        requestBytes(
          "PUT",
          LOOKUP,
          H([
            ["content-length", "2"],
            ["content-length", "3"],
          ]),
          Buffer.from("{}"),
        ),
      400,
      "M_BAD_JSON",
    ],
    [
      "20 KiB of headers",
      () => requestBytes("GET", "/health", H([["x-pad", "a".repeat(20_000)]])),
      431,
      "M_TOO_LARGE",
    ],
    [
      "invalid UTF-8 in the token",
      () =>
        requestBytes(
          "PUT",
          LOOKUP,
          [
            ["host", "x"],
            [
              "authorization",
              Buffer.from([0x42, 0x65, 0x61, 0x72, 0x65, 0x72, 0x20, 0xff, 0xc3, 0x28]),
            ],
            ["content-length", String(lookupBody().length)],
            ["connection", "close"],
          ],
          lookupBody(),
        ),
      401,
      "M_UNKNOWN_TOKEN",
    ],
    [
      "no Host header",
      () => requestBytes("GET", "/health", [["connection", "close"]]),
      200,
      undefined,
    ],
    [
      "an unknown Expect",
      () =>
        requestBytes(
          "PUT",
          LOOKUP,
          H([
            ["expect", "200-ok"],
            ["content-length", "2"],
          ]),
          Buffer.from("{}"),
        ),
      417,
      "M_UNRECOGNIZED",
    ],
    [
      "Expect: 100-continue",
      () =>
        requestBytes(
          "PUT",
          LOOKUP,
          H([
            ["expect", "100-continue"],
            ["content-length", String(lookupBody().length)],
          ]),
          lookupBody(),
        ),
      204,
      undefined,
    ],
    [
      "a 4 KiB lookup body (the limit)",
      () => requestBytes("PUT", LOOKUP, H([["content-length", "4096"]]), padded(4096)),
      204,
      undefined,
    ],
    [
      "a lookup body one byte over 4 KiB",
      () => requestBytes("PUT", LOOKUP, H([["content-length", "4097"]]), padded(4097)),
      413,
      "M_TOO_LARGE",
    ],
    [
      "a chunked lookup body over 4 KiB (no Content-Length to check)",
      () => {
        const data = padded(5000);
        const body = Buffer.concat([Buffer.from("1388\r\n"), data, Buffer.from("\r\n0\r\n\r\n")]);
        return requestBytes("PUT", LOOKUP, H([["transfer-encoding", "chunked"]]), body);
      },
      413,
      "M_TOO_LARGE",
    ],
    [
      "a claimed 1 GB body",
      () => requestBytes("PUT", LOOKUP, H([["content-length", "1000000000"]]), Buffer.from("{")),
      413,
      "M_TOO_LARGE",
    ],
    [
      "a check body over 16 KiB",
      () =>
        requestBytes(
          "POST",
          "/_matrix/loj/v1/check",
          H([["content-length", "16385"]]),
          padded(16385),
        ),
      413,
      "M_TOO_LARGE",
    ],
  ];

  it.each(cases)("answers %s with its documented status", async (_name, bytes, status, errcode) => {
    const r = await send(bytes());
    expect(r.status).toBe(status);
    if (errcode !== undefined) {
      expect(JSON.parse(r.body.toString())).toMatchObject({ error: { errcode }, report_id: null });
    }
  });

  it("answers a body over the operations listener's 1 KiB with 413", async () => {
    const bytes = requestBytes(
      "POST",
      "/admin/reload",
      [
        ["host", "x"],
        ["authorization", `Bearer ${fx.operationsToken}`],
        ["content-type", "application/json"],
        ["content-length", "1025"],
        ["connection", "close"],
      ],
      padded(1025),
    );
    const r = await send(bytes, false, fx.handle.operationsUrl);
    expect(r.status).toBe(413);
  });
});

/** A valid lookup body padded with an unknown field to exactly `size` bytes. */
function padded(size: number): Buffer {
  const base = JSON.stringify({
    room_id_hash: ljs4Hash(cleanRoom(2)),
    user_id_hash: ljs4Hash("@pad:example.org"),
    pad: "",
  });
  return Buffer.from(base.replace('"pad":""', `"pad":"${"p".repeat(size - base.length)}"`));
}

describe.concurrent("slow requests", () => {
  it("answers a body that trickles in within the timeout", async () => {
    const data = lookupBody();
    const pieces = Array.from({ length: 10 }, (_, i) =>
      data.subarray((i * data.length) / 10, ((i + 1) * data.length) / 10),
    );
    const head = requestBytes("PUT", LOOKUP, [
      ["host", "x"],
      ["authorization", `Bearer ${token}`],
      ["content-length", String(data.length)],
      ["connection", "close"],
    ]);
    const r = await rawRequest(fx.handle.apiUrl, head, { trickle: { pieces, delayMs: 150 } });
    expect(r.status).toBe(204);
  });

  it("cuts stalled and dribbling requests off with 408 within about 10 s, serving others meanwhile", async () => {
    const started = Date.now();
    const stalledBody = requestBytes(
      "PUT",
      LOOKUP,
      [
        ["host", "x"],
        ["content-length", "100"],
      ],
      Buffer.from('{"a":'),
    );
    const stalledHeaders = Buffer.from("PUT / HTTP/1.1\r\nhost: x\r\nx-slow: ");
    // A slow POST: one byte every 500 ms, each beating the 30 s idle timeout.
    const dribble = lookupBody();
    const dribbled = Array.from({ length: 30 }, (_, i) => dribble.subarray(i + 1, i + 2));
    const slowPost = requestBytes(
      "PUT",
      LOOKUP,
      [
        ["host", "x"],
        ["content-length", String(dribble.length)],
      ],
      dribble.subarray(0, 1),
    );
    const loris = [
      ...Array.from({ length: 10 }, () =>
        rawRequest(fx.handle.apiUrl, slowPost, {
          timeoutMs: 45_000,
          trickle: { pieces: dribbled, delayMs: 500 },
        }),
      ),
      ...Array.from({ length: 20 }, () =>
        rawRequest(fx.handle.apiUrl, stalledBody, { timeoutMs: 45_000 }),
      ),
      ...Array.from({ length: 20 }, () =>
        rawRequest(fx.handle.apiUrl, stalledHeaders, { timeoutMs: 45_000 }),
      ),
    ];
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    expect((await fetch(`${fx.handle.apiUrl}/health`)).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1000);
    for (const r of await Promise.all(loris)) {
      expect(r.status).toBe(408);
      expect(JSON.parse(r.body.toString())).toMatchObject({
        error: { errcode: "M_UNKNOWN" },
        report_id: null,
      });
    }
    expect(Date.now() - started).toBeLessThan(13_000);
  }, 50_000);
});
