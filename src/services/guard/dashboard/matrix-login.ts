/**
 * Logging in to the guard's dashboard with a Matrix account of the homeserver: a password
 * relayed to `POST /_matrix/client/v3/login` (the session it creates is logged out again
 * at once), or an access token checked with `GET /_matrix/client/v3/account/whoami`.
 * Allowed: server admins (`GET /_synapse/admin/v1/users/{user}/admin` with their own
 * token answers `admin: true`) and members of the alert room with power level ≥ 50 (read
 * by the alert bot, which is in the room). Passwords and tokens are never kept or logged.
 */
import { err, ok, type Result } from "../../../core/result.js";
import type { DashboardLogin } from "../../../dashboard/dashboard-app.js";
import { jsonField, type MatrixCall } from "../synapse/matrix-http.js";

/** Who is logged in, and why they may. */
export interface GuardPrincipal {
  readonly userId: string;
  readonly role: "server admin" | "alert-room moderator";
}

/** What the login uses. */
export interface MatrixLoginDeps {
  /** A MatrixCall with the given token ("" for none). */
  readonly callAs: (token: string) => MatrixCall;
  /** The alert room and the bot's calls, when `guard.alerts` is configured. */
  readonly alertRoom: { readonly roomId: string; readonly call: MatrixCall } | undefined;
}

/** Power level at which alert-room members may use the dashboard (as for commands). */
export const MODERATOR_LEVEL = 50;

const REFUSED = "this account may not use the dashboard";

/** The guard dashboard's login. */
export function matrixLogin(deps: MatrixLoginDeps): DashboardLogin<GuardPrincipal> {
  return {
    fields: `<label for="user">Matrix user</label><input id="user" name="user" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<label for="access_token">or an access token</label><input id="access_token" name="access_token" type="password" autocomplete="off">`,
    describe: (p) => `${p.userId} (${p.role})`,
    authenticate: async (form) => {
      const token = form.get("access_token") ?? "";
      if (token !== "") return authorize(deps, token, false);
      const user = form.get("user") ?? "";
      const password = form.get("password") ?? "";
      if (user === "" || password === "") return err("give a user and password, or a token");
      const login = await deps.callAs("")("POST", "/_matrix/client/v3/login", {
        type: "m.login.password",
        identifier: { type: "m.id.user", user },
        password,
        initial_device_display_name: "Redlight dashboard login check",
      });
      if (!login.ok) return err(`the homeserver did not answer (${login.error})`);
      const fresh = jsonField(login.value.body, "access_token");
      if (login.value.status !== 200 || typeof fresh !== "string")
        return err("the homeserver refused this user and password");
      return authorize(deps, fresh, true);
    },
  };
}

async function authorize(
  deps: MatrixLoginDeps,
  token: string,
  logoutAfter: boolean,
): Promise<Result<GuardPrincipal, string>> {
  const call = deps.callAs(token);
  try {
    const whoami = await call("GET", "/_matrix/client/v3/account/whoami");
    const userId = whoami.ok ? jsonField(whoami.value.body, "user_id") : undefined;
    if (!whoami.ok || whoami.value.status !== 200 || typeof userId !== "string")
      return err("the homeserver does not know this access token");
    const admin = await call("GET", `/_synapse/admin/v1/users/${encodeURIComponent(userId)}/admin`);
    if (admin.ok && admin.value.status === 200 && jsonField(admin.value.body, "admin") === true)
      return ok({ userId, role: "server admin" });
    if (await isAlertRoomModerator(deps, userId))
      return ok({ userId, role: "alert-room moderator" });
    return err(`${userId}: ${REFUSED}`);
  } finally {
    if (logoutAfter) await call("POST", "/_matrix/client/v3/logout", {});
  }
}

async function isAlertRoomModerator(deps: MatrixLoginDeps, userId: string): Promise<boolean> {
  const room = deps.alertRoom;
  if (room === undefined) return false;
  const base = `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/state`;
  const [member, levels] = await Promise.all([
    room.call("GET", `${base}/m.room.member/${encodeURIComponent(userId)}`),
    room.call("GET", `${base}/m.room.power_levels/`),
  ]);
  if (!member.ok || member.value.status !== 200) return false;
  if (jsonField(member.value.body, "membership") !== "join") return false;
  if (!levels.ok || levels.value.status !== 200) return false;
  const users = jsonField(levels.value.body, "users");
  const own = typeof users === "object" && users !== null ? jsonField(users, userId) : undefined;
  const fallback = jsonField(levels.value.body, "users_default");
  const level = typeof own === "number" ? own : typeof fallback === "number" ? fallback : 0;
  return level >= MODERATOR_LEVEL;
}
