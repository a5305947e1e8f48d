/**
 * The `policy_room` list source: the room rules of followed Matrix policy rooms
 * (src/policy) as a source list. The follower keeps the ruleset in memory; each change
 * it reports (one per sync batch) asks the list holder to rebuild this source and swap,
 * so a new or removed rule is in force within seconds. Nothing of the ruleset is written
 * anywhere: entries go from the follower's memory into the built list's memory.
 */
import { err, ok } from "../core/result.js";
import { SourceListBuilder } from "../core/source-list.js";
import type { SourceConfig } from "../config/schema.js";
import { readSecretFile } from "../config/secrets.js";
import { redactUrl } from "../observability/redact.js";
import { fetchMatrixPort } from "../policy/fetch-matrix-port.js";
import { PolicyRoomFollower, type FollowerLog } from "../policy/policy-room-follower.js";
import type { ListSource } from "./list-source.js";

type PolicyRoomConfig = NonNullable<SourceConfig["policy_room"]>;

/** How long the first fetch waits for the rooms' first read (then it reports a failure). */
const FIRST_READ_MS = 30_000;

/** A list source following policy rooms, with the follower for status and metrics. */
export interface PolicyRoomListSource extends ListSource {
  readonly follower: PolicyRoomFollower;
}

/** Builds the source (the follower starts with the first fetch). */
export function policyRoomSource(
  config: PolicyRoomConfig,
  refreshMs: number,
  log: FollowerLog,
  follower = new PolicyRoomFollower({
    port: fetchMatrixPort(config.homeserver_url, readSecretFile(config.access_token_file)),
    rooms: config.rooms,
    log,
  }),
): PolicyRoomListSource {
  let version = 0;
  let built = -1;
  follower.onChange(() => version++);
  return {
    label: `policy rooms at ${redactUrl(config.homeserver_url)} (${config.rooms.length})`,
    refreshMs,
    follower,
    async fetch() {
      if (!follower.started) {
        follower.start();
        await Promise.race([
          follower.firstRead,
          new Promise((resolve) => setTimeout(resolve, FIRST_READ_MS).unref()),
        ]);
      }
      const status = follower.status();
      if (!status.rooms.some((r) => r.lastSyncAt !== undefined))
        return err(
          `no policy room read yet: ${status.degraded ?? status.rooms[0]?.degraded ?? "starting"}`,
        );
      if (built === version) return ok({ kind: "unchanged" });
      const seen = version;
      const builder = new SourceListBuilder();
      const entries = follower.listedRooms(config.recommendation_tags);
      for (const entry of entries) builder.add(entry);
      built = seen;
      const skipped = status.rooms.reduce(
        (n, r) => n + Object.values(r.counts.skipped).reduce((a, b) => a + b, 0),
        0,
      );
      return ok({ kind: "loaded", list: builder.build(), skipped });
    },
    watch(onChange) {
      follower.onChange(onChange);
    },
    stop: () => follower.stop(),
    warnings() {
      const status = follower.status();
      const degraded = status.rooms.filter((r) => r.state === "degraded").length;
      const out: string[] = [];
      if (status.degraded !== undefined)
        out.push(
          `policy rooms: sync failing (${status.degraded}); the last good rules stay in force`,
        );
      if (degraded > 0)
        out.push(
          `policy rooms: ${degraded} of ${status.rooms.length} not followed (see redlight policy status)`,
        );
      return out;
    },
  };
}
