import { createServer, type IncomingHttpHeaders } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptList, generateListKey } from "./encryption.js";
import { listSource } from "./sources.js";

const LIST = JSON.stringify([
  {
    report_id: "r1",
    room: { room_id: "!synthetic-0001:example.org" },
    report_info: { tags: ["csam"] },
  },
]);

let dir: string;
let url: string;
let seen: IncomingHttpHeaders[] = [];
let body: Buffer | string = LIST;
let status = 200;
const server = createServer((req, res) => {
  seen.push(req.headers);
  if (req.headers["if-none-match"] === '"v1"') res.writeHead(304).end();
  else res.writeHead(status, { etag: '"v1"' }).end(body);
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "redlight-sources-"));
  writeFileSync(join(dir, "token"), "list-server-secret\n");
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address() as { port: number };
  url = `http://127.0.0.1:${address.port}/list.json`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("URL list source", () => {
  it("sends the bearer token, then polls with If-None-Match and keeps the list on 304", async () => {
    seen = [];
    const source = listSource(
      { url, bearer_token_file: join(dir, "token"), refresh: "5m" },
      300_000,
    );
    const first = await source.fetch();
    expect(first.ok && first.value.kind === "loaded" && first.value.list.size).toBe(1);
    expect(seen[0]?.authorization).toBe("Bearer list-server-secret");
    expect(await source.fetch()).toEqual({ ok: true, value: { kind: "unchanged" } });
    expect(seen[1]?.["if-none-match"]).toBe('"v1"');
    expect(source.label).not.toContain("secret");
  });

  it("decrypts an encrypted list and reports HTTP errors without content", async () => {
    writeFileSync(join(dir, "key"), generateListKey());
    const { parseListKey } = await import("./encryption.js");
    const { readFileSync } = await import("node:fs");
    const key = parseListKey(readFileSync(join(dir, "key"), "utf8"));
    if (!key.ok) throw new Error(key.error);
    body = encryptList(Buffer.from(LIST), key.value);
    const encrypted = await listSource(
      { url, encryption_key_file: join(dir, "key"), refresh: "5m" },
      1,
    ).fetch();
    expect(encrypted.ok && encrypted.value.kind).toBe("loaded");
    const plainConfig = await listSource({ url, refresh: "5m" }, 1).fetch();
    expect(plainConfig).toEqual({
      ok: false,
      error: "the list is encrypted but no encryption_key_file is configured",
    });
    status = 500;
    expect(await listSource({ url, refresh: "5m" }, 1).fetch()).toEqual({
      ok: false,
      error: "the list server answered HTTP 500",
    });
    status = 200;
    body = LIST;
  });
});
