/**
 * The knock scenario's stand-in homeserver: Synapse's answers to what the client-API proxy
 * asks and forwards — `GET /_matrix/client/v3/account/whoami` (200 for the bench user's
 * token, else 401 M_UNKNOWN_TOKEN) and `POST …/knock/{roomId}` (200 `{room_id}`) — and 404
 * M_UNRECOGNIZED for anything else. Synthetic ids only.
 *
 *   node --import tsx bench/knock-upstream.ts PORT
 */
import { createServer } from "node:http";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error("usage: knock-upstream.ts PORT");

/** The one access token the stand-in knows, and its user. */
export const BENCH_TOKEN = "synthetic-bench-token";
const USER = "@bench-knocker:example.org";
const KNOCK = /^\/_matrix\/client\/(?:r0|v3|unstable)\/knock\/([^/?]+)/;

const server = createServer((request, response) => {
  request.on("data", () => undefined);
  request.on("end", () => {
    const url = request.url ?? "";
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (url.startsWith("/_matrix/client/v3/account/whoami")) {
      if (request.headers.authorization !== `Bearer ${BENCH_TOKEN}`)
        return send(401, { errcode: "M_UNKNOWN_TOKEN", error: "Invalid access token passed." });
      return send(200, { user_id: USER, device_id: "BENCHDEV", is_guest: false });
    }
    const knock = KNOCK.exec(url);
    if (knock !== null && request.method === "POST")
      return send(200, { room_id: decodeURIComponent(knock[1] ?? "") });
    send(404, { errcode: "M_UNRECOGNIZED", error: "Unrecognized request" });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1");
