/**
 * A stand-in homeserver for the directory proxy's tests and benchmark: a small node:http
 * server that records every request it receives and answers with whatever the test sets
 * (a canned publicRooms page, an error, garbage, a slow, endless or broken answer). The
 * end-to-end test uses it as the federation upstream, in place of a second Synapse.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the stand-in received it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** How the stand-in answers one request. */
export interface CannedAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | string[]>>;
  readonly body?: unknown;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /** Bytes sent as the body instead of `body` as JSON (garbage, HTML error pages). */
  readonly raw?: Buffer | string;
  /**
   * A broken answer: `reset` closes the connection without answering; `truncated` sends
   * the headers and half the body, then closes.
   */
  readonly fault?: "reset" | "truncated";
}

/** Decides the answer to a request. */
export type Answerer = (request: ReceivedRequest) => CannedAnswer;

/** A publicRooms entry with the fields Synapse sends. */
export function roomEntry(roomId: string, fields: Record<string, unknown> = {}) {
  return {
    room_id: roomId,
    num_joined_members: 1,
    world_readable: false,
    guest_can_join: false,
    join_rule: "public",
    ...fields,
  };
}

/** The stand-in homeserver. */
export class FakeHomeserver {
  readonly received: ReceivedRequest[] = [];
  answer: Answerer = () => ({ status: 200, body: { chunk: [] } });
  private readonly server: Server;
  private readonly open = new Set<ServerResponse>();
  private closedPort = 0;

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const request = {
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        this.received.push(request);
        const canned = this.answer(request);
        this.open.add(res);
        res.on("close", () => this.open.delete(res));
        const send = () => {
          if (canned.fault === "reset") return void res.socket?.destroy();
          const payload =
            canned.raw !== undefined
              ? Buffer.from(canned.raw)
              : canned.body === undefined
                ? undefined
                : Buffer.from(JSON.stringify(canned.body));
          res.writeHead(canned.status, {
            "content-type": "application/json",
            ...(canned.fault === "truncated" && payload !== undefined
              ? { "content-length": String(payload.length) }
              : {}),
            ...canned.headers,
          });
          if (canned.fault === "truncated" && payload !== undefined) {
            res.write(payload.subarray(0, Math.floor(payload.length / 2)));
            setTimeout(() => res.socket?.destroy(), 20).unref();
            return;
          }
          res.end(payload);
        };
        if (canned.delayMs === undefined) send();
        else setTimeout(send, canned.delayMs).unref();
      });
    });
  }

  /** Starts a stand-in on loopback: a free port, or `port` (to come back where it was). */
  static async start(port = 0): Promise<FakeHomeserver> {
    const fake = new FakeHomeserver();
    await new Promise<void>((resolve, reject) => {
      fake.server.once("error", reject);
      fake.server.listen(port, "127.0.0.1", resolve);
    });
    return fake;
  }

  get url(): string {
    const address = this.server.address() as AddressInfo | null;
    return `http://127.0.0.1:${address?.port ?? this.closedPort}`;
  }

  /** The last request received. */
  get last(): ReceivedRequest | undefined {
    return this.received[this.received.length - 1];
  }

  /** Stops listening and drops every connection (the homeserver is unreachable). */
  async close(): Promise<void> {
    const { port } = this.server.address() as AddressInfo;
    this.closedPort = port;
    await this.stop();
  }

  /** Listens again on the port it had before {@link close}. */
  async reopen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.closedPort, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
