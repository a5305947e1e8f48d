/**
 * HTTP/1.1 over a bare TCP socket, for hostile-input tests: fetch() refuses what an attacker
 * sends freely (invalid UTF-8 in headers, CONNECT and made-up methods, bad chunking, bodies
 * that trickle in). Sends exactly the given bytes and reads back one response.
 */
import { connect } from "node:net";

/** One response as read off the wire. */
export interface RawResponse {
  /** 0 when the server closed the connection without answering. */
  readonly status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  /** The request is HEAD: the answer has headers only. */
  readonly head?: boolean;
  /** Pieces sent after `bytes`, `delayMs` apart (a slow body). */
  readonly trickle?: { readonly pieces: readonly Buffer[]; readonly delayMs: number };
  /** Give up (and reject) after this long. Default 15 s. */
  readonly timeoutMs?: number;
}

/** The base URL's host and port. */
function target(baseUrl: string): { host: string; port: number } {
  const u = new URL(baseUrl);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port) };
}

/** Decodes a chunked body; undefined while incomplete. */
function dechunk(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf("\r\n", at);
    if (eol < 0) return undefined;
    const size = parseInt(data.subarray(at, eol).toString("latin1"), 16);
    if (Number.isNaN(size)) return Buffer.concat(parts);
    if (size === 0) return Buffer.concat(parts);
    if (data.length < eol + 2 + size + 2) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** Parses one response from `data`; undefined while it is incomplete. */
function parse(data: Buffer, head: boolean, ended: boolean): RawResponse | undefined {
  const split = data.indexOf("\r\n\r\n");
  if (split < 0) return ended ? { status: 0, headers: {}, body: data } : undefined;
  const lines = data.subarray(0, split).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = data.subarray(split + 4);
  // An interim answer (100 Continue) precedes the real one.
  if (status >= 100 && status < 200 && status !== 101) return parse(rest, head, ended);
  if (head || status === 204 || status === 304 || status === 101) {
    return { status, headers, body: Buffer.alloc(0) };
  }
  if (headers["transfer-encoding"]?.toLowerCase().includes("chunked")) {
    const body = dechunk(rest);
    if (body !== undefined) return { status, headers, body };
    return ended ? { status, headers, body: rest } : undefined;
  }
  const length = headers["content-length"];
  if (length !== undefined) {
    const n = Number(length);
    if (rest.length >= n) return { status, headers, body: rest.subarray(0, n) };
    return ended ? { status, headers, body: rest } : undefined;
  }
  return ended ? { status, headers, body: rest } : undefined;
}

/** Sends raw request bytes to `baseUrl` and reads one response. */
export function rawRequest(
  baseUrl: string,
  bytes: Buffer | string,
  options: RawRequestOptions = {},
): Promise<RawResponse> {
  const { host, port } = target(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (outcome: RawResponse | Error) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const attempt = (ended: boolean) => {
      const r = parse(Buffer.concat(chunks), options.head ?? false, ended);
      if (r) finish(r);
    };
    timers.push(
      setTimeout(() => finish(new Error("no answer in time")), options.timeoutMs ?? 15_000),
    );
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      attempt(false);
    });
    socket.on("end", () => attempt(true));
    socket.on("close", () => attempt(true));
    // A reset after the server answered and closed is fine; before, it is "no answer".
    socket.on("error", () => attempt(true));
    socket.write(bytes);
    const pieces = options.trickle?.pieces ?? [];
    pieces.forEach((piece, i) => {
      timers.push(
        setTimeout(
          () => {
            if (!socket.destroyed) socket.write(piece);
          },
          (i + 1) * (options.trickle?.delayMs ?? 0),
        ),
      );
    });
  });
}

/** Builds request bytes: request line, headers (as given, in order) and body. */
export function requestBytes(
  method: string,
  path: string,
  headers: ReadonlyArray<readonly [string, string | Buffer]>,
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const parts: Buffer[] = [Buffer.from(`${method} ${path} HTTP/1.1\r\n`, "latin1")];
  for (const [name, value] of headers) {
    parts.push(Buffer.from(`${name}: `, "latin1"));
    parts.push(typeof value === "string" ? Buffer.from(value, "latin1") : value);
    parts.push(Buffer.from("\r\n", "latin1"));
  }
  parts.push(Buffer.from("\r\n", "latin1"), body);
  return Buffer.concat(parts);
}
