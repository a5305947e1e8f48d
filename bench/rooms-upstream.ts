/**
 * Scenario 4's stand-in homeserver: answers every `publicRooms` request with one canned
 * page of 100 synthetic rooms (name, topic, alias, member count, the fields Synapse sends),
 * and anything else with 404. The page is serialised once, so the upstream costs the same
 * whether it is asked directly or through the directory proxy: the difference is the proxy.
 *
 *   node --import tsx bench/rooms-upstream.ts PORT [costly]
 *
 * `costly` (the directory-attack scenario): a hostile remote server's page instead, every
 * room's name and topic 4,096 × U+FDFA (eighteen characters each under NFKC), with new
 * room ids on every request so the guard's per-room text verdicts never help.
 */
import { createServer } from "node:http";
import { roomEntry } from "../test/doubles/fake-homeserver.js";
import { syntheticRoomId } from "./synthetic.js";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error("usage: rooms-upstream.ts PORT");

/** Rooms of the page that are on the lookup service's list (the proxy hides them). */
const LISTED_ON_PAGE = [7, 42];

const SYLLABLES = ["ka", "lo", "mi", "zu", "ter", "vin", "dor", "pel", "qua", "sim"];
const word = (i: number) =>
  SYLLABLES.map((_, k) => SYLLABLES[(i * 7 + k * 3) % SYLLABLES.length])
    .slice(0, 3 + (i % 2))
    .join("");

const COSTLY_TEXT = "\uFDFA".repeat(4_096);
const costly = process.argv[3] === "costly";
let served = 0;
const costlyPage = () =>
  Buffer.from(
    JSON.stringify({
      chunk: Array.from({ length: 100 }, (_, i) =>
        roomEntry(`!costly-${served}-${i}:example.org`, { name: COSTLY_TEXT, topic: COSTLY_TEXT }),
      ),
    }),
  );

const page = Buffer.from(
  JSON.stringify({
    chunk: Array.from({ length: 100 }, (_, i) =>
      roomEntry(
        LISTED_ON_PAGE.includes(i) ? syntheticRoomId(i + 1) : `!bench-room-${i}:example.org`,
        {
          name: `Synthetic room ${i} about ${word(i)}`,
          topic: `A synthetic topic for room ${i}: ${Array.from({ length: 15 }, (_, k) => word(i + k)).join(" ")}`,
          canonical_alias: `#synthetic-${i}:example.org`,
          num_joined_members: 1000 - i,
        },
      ),
    ),
    next_batch: "synthetic-next",
    total_room_count_estimate: 5000,
  }),
);

const server = createServer((request, response) => {
  request.on("data", () => undefined);
  request.on("end", () => {
    if (!request.url?.includes("/publicRooms")) {
      response.writeHead(404).end();
      return;
    }
    const body = costly ? costlyPage() : page;
    served++;
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": String(body.length),
    });
    response.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, "127.0.0.1");
process.once("SIGTERM", () => server.close());
