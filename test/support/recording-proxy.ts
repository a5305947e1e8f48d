/**
 * An HTTP proxy on loopback that forwards every request to `target` unchanged and keeps a
 * copy of what the client sent (method, path, headers, body) and of each answer's status
 * and body: what a network observer, or the provider itself, sees of a client.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as it crossed the proxy. */
export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: string;
  readonly body: Buffer;
  status: number;
  answer: Buffer;
}

/** A running recording proxy. */
export interface RecordingProxy {
  readonly url: string;
  readonly requests: Recorded[];
  close(): Promise<void>;
}

/** Starts a proxy in front of `target` (an http:// base URL). */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const recorded: Recorded = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: JSON.stringify(req.headers),
        body: Buffer.concat(chunks),
        status: 0,
        answer: Buffer.alloc(0),
      };
      requests.push(recorded);
      const upstream = request(
        {
          hostname: to.hostname,
          port: to.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: to.host },
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on("data", (c: Buffer) => parts.push(c));
          answer.on("end", () => {
            recorded.status = answer.statusCode ?? 0;
            recorded.answer = Buffer.concat(parts);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(recorded.answer);
          });
        },
      );
      upstream.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(recorded.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
