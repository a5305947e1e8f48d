/**
 * The baseline: a bare node:http server that reads each request body and answers 204, as
 * fast as this machine can answer HTTP on loopback at all. A service's figures divided by
 * this server's, measured in the same run with the same requests, cancel out most of what
 * a shared, noisy machine does to absolute numbers.
 *
 *   node --import tsx bench/bare-server.ts PORT
 */
import { createServer } from "node:http";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error("usage: bare-server.ts PORT");

const server = createServer((request, response) => {
  // Consume the body like a real handler must, then answer "no match".
  request.on("data", () => undefined);
  request.on("end", () => {
    response.writeHead(204);
    response.end();
  });
});
server.keepAliveTimeout = 65_000; // as the services' Fastify set-up
server.listen(port, "127.0.0.1");
process.once("SIGTERM", () => server.close());
