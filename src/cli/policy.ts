/**
 * `redlight policy status`: for every policy room the config follows (the lookup
 * service's `policy_room` sources and `guard.policy_rooms`), read its state once with the
 * config's token and print counts by kind and recommendation, skipped rules and why, and
 * when it was read — never a room, user or server a rule names.
 */
import type { Config } from "../config/schema.js";
import { readSecretFile } from "../config/secrets.js";
import { redactUrl } from "../observability/redact.js";
import { fetchMatrixPort } from "../policy/fetch-matrix-port.js";
import type { FollowedRoomStatus } from "../policy/followed-room.js";
import { PolicyRoomFollower } from "../policy/policy-room-follower.js";
import { CliError, loadConfig, say } from "./context.js";

interface Followed {
  readonly label: string;
  readonly homeserverUrl: string;
  readonly tokenFile: string;
  readonly rooms: readonly string[];
}

/** Reads every followed policy room once and prints its status. */
export async function status(options: { config?: string }): Promise<void> {
  const config = loadConfig(options.config);
  const followed = followedBy(config);
  if (followed.length === 0)
    throw new CliError(
      "no policy rooms in the config (lookup.sources[].policy_room, guard.policy_rooms)",
    );
  let failed = 0;
  for (const f of followed) {
    say(`${f.label} (${redactUrl(f.homeserverUrl)}):`);
    const follower = new PolicyRoomFollower({
      port: fetchMatrixPort(f.homeserverUrl, readSecretFile(f.tokenFile)),
      rooms: f.rooms,
      log: { info: () => undefined, warn: () => undefined },
    });
    const result = await follower.followOnce();
    for (const room of result.rooms) {
      for (const line of describeRoom(room)) say(`  ${line}`);
      if (room.state !== "following") failed++;
    }
  }
  if (failed > 0) throw new CliError(`${failed} policy room(s) could not be read`);
}

function followedBy(config: Config): Followed[] {
  const out: Followed[] = [];
  config.lookup.sources.forEach((s, i) => {
    if (s.policy_room === undefined) return;
    out.push({
      label: `lookup source ${i + 1}`,
      homeserverUrl: s.policy_room.homeserver_url,
      tokenFile: s.policy_room.access_token_file,
      rooms: s.policy_room.rooms,
    });
  });
  const guard = config.guard;
  if (guard?.policy_rooms !== undefined)
    out.push({
      label: "guard",
      homeserverUrl: guard.policy_rooms.homeserver_url ?? guard.homeserver_url,
      tokenFile: guard.policy_rooms.access_token_file,
      rooms: guard.policy_rooms.rooms,
    });
  return out;
}

/** The lines describing one room: counts and reasons only. */
export function describeRoom(room: FollowedRoomStatus): string[] {
  const id = room.roomId === undefined || room.roomId === room.room ? "" : ` (${room.roomId})`;
  const state = room.degraded === undefined ? room.state : `${room.state}: ${room.degraded}`;
  const rules = Object.entries(room.counts.rules).flatMap(([kind, byRec]) =>
    Object.entries(byRec)
      .filter(([, n]) => n > 0)
      .map(([rec, n]) => `${kind} ${rec} ${n}`),
  );
  const skipped = Object.entries(room.counts.skipped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${n}`);
  const read = room.lastSyncAt === undefined ? "never" : new Date(room.lastSyncAt).toISOString();
  return [
    `${room.room}${id}: ${state}`,
    `    rules: ${rules.length === 0 ? "none" : rules.join(", ")} (hashed ${room.counts.hashed}, globs ${room.counts.globs})`,
    `    skipped: ${skipped.length === 0 ? "none" : skipped.join(", ")}; malformed events ${room.counts.malformedEvents}`,
    `    last read: ${read}${room.lagMs === undefined ? "" : `, lag ${room.lagMs} ms`}`,
  ];
}
