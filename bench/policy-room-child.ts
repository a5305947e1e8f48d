/**
 * Scenario `policy-room`'s measuring child (run with --expose-gc):
 *
 *   node --expose-gc --import tsx bench/policy-room-child.ts HOMESERVER_URL TOKEN ROOM RDLIST
 *
 * Ingests a policy room from scratch the way the lookup service does — the follower reads
 * the room's whole state over HTTP (fetch adapter), decodes and applies every rule, then its
 * room entries are built into a SourceList — and, as the same-run baseline, loads the same
 * number of rooms from an rdlist file (read, decode, build). Heap per rule: heap in use
 * (after full collections) with the follower and its list alive, minus before, per rule.
 * Prints one JSON line.
 */
import { SourceListBuilder, type SourceList } from "../src/core/source-list.js";
import { readFileSync } from "node:fs";
import { decodeRdlist } from "../src/core/rdlist.js";
import { fetchMatrixPort } from "../src/policy/fetch-matrix-port.js";
import { PolicyRoomFollower } from "../src/policy/policy-room-follower.js";

const [url, token, room, rdlist] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (!url || !token || !room || !rdlist || !gc) throw new Error("usage: see the file comment");

const heap = async () => {
  let last = Number.NaN;
  for (let i = 0; i < 20; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const m = process.memoryUsage();
    const now = m.heapUsed + m.arrayBuffers;
    if (Math.abs(now - last) < 64 * 1024) return now;
    last = now;
  }
  return last;
};
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return Math.round((used.user + used.system) / 1000);
};

// Baseline: the same number of rooms from an rdlist file (read, decode, build), on this
// thread as the policy room is, so both heaps are counted alike.
let before = await heap();
let cpu = process.cpuUsage();
let started = performance.now();
const decoded = decodeRdlist(readFileSync(rdlist, "utf8"));
if (!decoded.ok) throw new Error("the rdlist did not decode");
let fileList: SourceList | undefined = decoded.value.builder.build();
const file = {
  ms: Math.round(performance.now() - started),
  cpuMs: cpuMs(cpu),
  entries: fileList.size,
  bytes: (await heap()) - before,
};
fileList = undefined;

// The policy room, from scratch.
before = await heap();
cpu = process.cpuUsage();
started = performance.now();
const follower = new PolicyRoomFollower({
  port: fetchMatrixPort(url, token),
  rooms: [room],
  log: { info: () => undefined, warn: () => undefined },
});
const status = await follower.followOnce();
const readMs = Math.round(performance.now() - started);
const builder = new SourceListBuilder();
for (const entry of follower.listedRooms({ ban: ["abuse"], takedown: ["csam"] }))
  builder.add(entry);
const list = builder.build();
const policy = {
  ms: Math.round(performance.now() - started),
  readMs,
  cpuMs: cpuMs(cpu),
  entries: list.size,
  rules: status.rooms[0]?.counts.rules.room.ban ?? 0,
  bytes: (await heap()) - before,
};
if (follower.status().rooms[0]?.state !== "following") throw new Error("the room was not read");
process.stdout.write(`${JSON.stringify({ file, policy })}\n`);
