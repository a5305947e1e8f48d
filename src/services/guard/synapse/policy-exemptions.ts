/**
 * Who policy rules never apply to (gates/policy-gate.ts): the homeserver's server admins
 * (Synapse admin API, `GET /_synapse/admin/v2/users/{user}` → `admin`) and the alert room's
 * moderators (power level ≥ 50 in its `m.room.power_levels`, read with the alert bot's
 * token). Answers are remembered for a minute; only asked when a rule matched, so rarely.
 * A question that cannot be answered counts as "not exempt" and is logged: refusing is
 * never destructive, and an admin can still act through Synapse directly.
 */
import type { UserId } from "../../../core/ids.js";
import type { PolicyExemptions } from "../gates/policy-gate.js";
import { jsonField, segment, type MatrixCall } from "./matrix-http.js";

/** The alert room's moderators: this power level or more (as for alert-room commands). */
export const MODERATOR_POWER_LEVEL = 50;
const REMEMBER_MS = 60_000;

/** Settings of {@link SynapsePolicyExemptions}. */
export interface PolicyExemptionsDeps {
  /** The admin API with an admin's token; undefined without `guard.admin_token_file`. */
  readonly admin: MatrixCall | undefined;
  /** The alert bot's client-server API and the alert room; undefined without alerts. */
  readonly alertRoom: { readonly call: MatrixCall; readonly roomId: string } | undefined;
  readonly now: () => number;
  readonly onFailure: (what: string, reason: string) => void;
}

/** Exemptions read from Synapse. */
export class SynapsePolicyExemptions implements PolicyExemptions {
  private readonly known = new Map<UserId, { exempt: boolean; at: number }>();

  constructor(private readonly deps: PolicyExemptionsDeps) {}

  async isExempt(user: UserId): Promise<boolean> {
    const now = this.deps.now();
    const known = this.known.get(user);
    if (known !== undefined && now - known.at < REMEMBER_MS) return known.exempt;
    const exempt = (await this.isServerAdmin(user)) || (await this.isModerator(user));
    if (this.known.size > 10_000) this.known.clear();
    this.known.set(user, { exempt, at: now });
    return exempt;
  }

  private async isServerAdmin(user: UserId): Promise<boolean> {
    const { admin } = this.deps;
    if (admin === undefined) return false;
    const answer = await admin("GET", `/_synapse/admin/v2/users/${segment(user)}`);
    // 400 (a remote user) and 404 (no such local user): not an admin of this server.
    if (answer.ok && (answer.value.status === 400 || answer.value.status === 404)) return false;
    if (!answer.ok || answer.value.status !== 200) {
      this.deps.onFailure("server admin", answer.ok ? `HTTP ${answer.value.status}` : answer.error);
      return false;
    }
    return jsonField(answer.value.body, "admin") === true;
  }

  private async isModerator(user: UserId): Promise<boolean> {
    const room = this.deps.alertRoom;
    if (room === undefined) return false;
    const path = `/_matrix/client/v3/rooms/${segment(room.roomId)}/state/m.room.power_levels/`;
    const answer = await room.call("GET", path);
    if (!answer.ok || answer.value.status !== 200) {
      this.deps.onFailure(
        "alert room moderator",
        answer.ok ? `HTTP ${answer.value.status}` : answer.error,
      );
      return false;
    }
    return powerLevel(answer.value.body, user) >= MODERATOR_POWER_LEVEL;
  }
}

function powerLevel(content: unknown, user: string): number {
  const users = jsonField(content, "users");
  const own =
    typeof users === "object" && users !== null
      ? (users as Record<string, unknown>)[user]
      : undefined;
  if (typeof own === "number") return own;
  const fallback = jsonField(content, "users_default");
  return typeof fallback === "number" ? fallback : 0;
}
