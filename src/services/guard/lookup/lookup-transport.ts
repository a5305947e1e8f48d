/**
 * One request to the lookup service (JSON, or bytes for LJS-4 v2's evaluations) over node:http(s) with a keep-alive Agent: the
 * guard asks for every join that misses its cache, and global fetch costs several times
 * what node:http does per request (170–210 µs of CPU against 35–50 µs, measured by the
 * bench). The deadline covers everything (connect, answer, body); every failure comes
 * back as a TransportFailure value, without URLs, tokens or bodies.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { err, ok, type Result } from "../../../core/result.js";
import { failureOfError, type TransportFailure } from "../../../http/transport-failure.js";

/**
 * An answered request: status, JSON body (undefined when empty or not JSON), the raw bytes
 * of a binary (`application/octet-stream`) answer, Retry-After.
 */
export interface TransportAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly bytes?: Buffer;
  readonly retryAfter: string | null;
}

/** Options of {@link LookupTransport}. */
export interface TransportOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
  /** Most sockets kept open to the lookup service. */
  readonly maxSockets?: number;
}

const BINARY = "application/octet-stream";

/** Lookup answers are small (a batch check of 100 rooms is a few KiB); more is a fault. */
const MAX_ANSWER_BYTES = 1024 * 1024;

class Failure extends Error {
  constructor(readonly failure: TransportFailure) {
    super(failure.kind);
  }
}

/** Requests to one lookup service, over a pool of kept-alive connections. */
export class LookupTransport {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;
  private readonly authorization: string;

  constructor(private readonly options: TransportOptions) {
    this.url = new URL(options.baseUrl.replace(/\/+$/, ""));
    const https = this.url.protocol === "https:";
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 64,
      maxFreeSockets: options.maxSockets ?? 64,
      // Idle sockets are closed by us before the server's keep-alive timeout can race a
      // request onto a socket it is closing (Fastify's default is 72 s, Node's 5 s).
      timeout: 4_000,
      scheduling: "lifo" as const,
    };
    this.agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.send = https ? httpsRequest : httpRequest;
    this.authorization = `Bearer ${options.token}`;
  }

  /**
   * Sends `body` as JSON, or as `application/octet-stream` when it is a Buffer (nothing when
   * undefined, for a GET); a stale kept-alive socket is retried once within the deadline.
   */
  async call(
    method: string,
    path: string,
    body: unknown,
  ): Promise<Result<TransportAnswer, TransportFailure>> {
    const binary = Buffer.isBuffer(body);
    const payload = binary
      ? body
      : body === undefined
        ? Buffer.alloc(0)
        : Buffer.from(JSON.stringify(body), "utf8");
    const contentType = binary ? BINARY : "application/json";
    const deadline = Date.now() + this.options.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return ok(await this.once(method, path, payload, contentType, deadline));
      } catch (e) {
        // Node's advice for keep-alive: a reset on a reused socket means the server closed
        // it while idle, before reading our request; sending again is safe.
        const stale = (e as { stale?: boolean }).stale === true;
        if (stale && attempt === 0 && Date.now() < deadline) continue;
        return err(e instanceof Failure ? e.failure : failureOfError(e));
      }
    }
  }

  /** Closes the kept-alive connections (shutdown). */
  close(): void {
    this.agent.destroy();
  }

  private once(
    method: string,
    path: string,
    payload: Buffer,
    contentType: string,
    deadline: number,
  ): Promise<TransportAnswer> {
    return new Promise((resolve, reject) => {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return reject(new Failure({ kind: "timeout" }));
      const req = this.send({
        protocol: this.url.protocol,
        hostname: this.url.hostname.replace(/^\[|\]$/g, ""),
        port: this.url.port,
        path: `${this.url.pathname === "/" ? "" : this.url.pathname}${path}`,
        method,
        agent: this.agent,
        headers: {
          authorization: this.authorization,
          ...(payload.length === 0 ? {} : { "content-type": contentType }),
          "content-length": payload.length,
        },
      });
      let settled = false;
      const finish = (outcome: TransportAnswer | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const timer = setTimeout(() => {
        finish(new Failure({ kind: "timeout" }));
        req.destroy();
      }, remaining);
      req.on("error", (e: Error & { code?: string }) => {
        const stale =
          req.reusedSocket && (e.code === "ECONNRESET" || e.code === "EPIPE") && !settled;
        finish(Object.assign(new Failure(failureOfError(e)), { stale }));
      });
      req.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            finish(new Failure({ kind: "too_large" }));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", (e) => finish(new Failure(failureOfError(e))));
        res.on("aborted", () => finish(new Failure({ kind: "aborted" })));
        res.on("end", () => {
          const retryAfter = res.headers["retry-after"];
          const bytes = Buffer.concat(chunks);
          const binaryAnswer = res.headers["content-type"] === BINARY;
          finish({
            status: res.statusCode ?? 0,
            body: binaryAnswer ? undefined : parseJson(bytes),
            ...(binaryAnswer ? { bytes } : {}),
            retryAfter: typeof retryAfter === "string" ? retryAfter : null,
          });
        });
      });
      req.end(payload);
    });
  }
}

function parseJson(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined; // a non-JSON body: the status still says enough
  }
}
