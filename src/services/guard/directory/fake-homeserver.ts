/**
 * A stand-in homeserver for the directory proxy's tests and benchmark: a small node:http
 * server that records every request it receives and answers with whatever the test sets
 * (a canned publicRooms page, an error, a slow or endless answer). The end-to-end test
 * uses it as the federation upstream, in place of a second Synapse.
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
          res.writeHead(canned.status, {
            "content-type": "application/json",
            ...canned.headers,
          });
          res.end(canned.body === undefined ? undefined : JSON.stringify(canned.body));
        };
        if (canned.delayMs === undefined) send();
        else setTimeout(send, canned.delayMs).unref();
      });
    });
  }

  /** Starts a stand-in on a free loopback port. */
  static async start(): Promise<FakeHomeserver> {
    const fake = new FakeHomeserver();
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The last request received. */
  get last(): ReceivedRequest | undefined {
    return this.received[this.received.length - 1];
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
