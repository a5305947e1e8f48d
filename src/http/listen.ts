/** Starting and stopping listeners from `host:port` config values. */
import type { FastifyInstance } from "fastify";

/** Splits "127.0.0.1:8480" or "[::1]:8480" into host and port. */
export function splitListen(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) throw new Error(`bad listen address ${address}`);
  return { host: m[1] as string, port: Number(m[2]) };
}

/** Listens on `address` and answers the base URL actually bound (port 0 picks one). */
export async function listenOn(app: FastifyInstance, address: string): Promise<string> {
  const { host, port } = splitListen(address);
  await app.listen({ host, port });
  const bound = app.server.address();
  if (bound === null || typeof bound === "string") throw new Error("listener has no TCP address");
  const shownHost = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return `http://${shownHost}:${bound.port}`;
}
