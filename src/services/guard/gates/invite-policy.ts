/**
 * The per-server invite policy for invites from other homeservers: "local invites only"
 * for communities under attack, a deny-list and an allow-list of server globs, and no
 * invites from servers named by an IP address unless allowed (such servers are cheap to
 * make and hard to hold accountable). Pure: a server name in, a verdict out.
 */
import ipaddr from "ipaddr.js";
import type { ServerName } from "../../../core/ids.js";

/** The policy's settings (`guard.invites`). */
export interface ServerPolicySettings {
  readonly localInvitesOnly: boolean;
  readonly allowServers: readonly string[];
  readonly denyServers: readonly string[];
  readonly allowIpLiterals: boolean;
}

/** Which rule refused a server. */
export type ServerRule = "local_invites_only" | "deny_servers" | "allow_servers" | "ip_literal";

/** The policy's answer for one server. */
export type ServerVerdict =
  { readonly allowed: true } | { readonly allowed: false; readonly rule: ServerRule };

/**
 * A glob over server names: `*` is any run of characters, `?` one character; the match is
 * case-insensitive and whole-name. Dots and other characters are literal.
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "i");
}

/** The host of a server name: without its port and IPv6 brackets. */
export function hostOf(server: string): string {
  if (server.startsWith("[")) return server.slice(1, server.indexOf("]"));
  const colon = server.lastIndexOf(":");
  return colon === -1 ? server : server.slice(0, colon);
}

/** Whether a server name is an IP literal (IPv4 dotted quad or bracketed IPv6). */
export function isIpLiteral(server: string): boolean {
  const host = hostOf(server);
  return server.startsWith("[")
    ? ipaddr.IPv6.isValid(host)
    : ipaddr.IPv4.isValidFourPartDecimal(host);
}

/** Decides whether invites from a server are accepted. */
export class ServerPolicy {
  private readonly allow: readonly RegExp[];
  private readonly deny: readonly RegExp[];

  constructor(private readonly settings: ServerPolicySettings) {
    this.allow = settings.allowServers.map(globToRegExp);
    this.deny = settings.denyServers.map(globToRegExp);
  }

  /** The verdict for an invite sent by a user of `server` (another homeserver). */
  check(server: ServerName): ServerVerdict {
    if (this.settings.localInvitesOnly) return { allowed: false, rule: "local_invites_only" };
    // A glob may be written with or without the port, so try both forms of the name.
    const names = [server, hostOf(server)];
    const matches = (globs: readonly RegExp[]) => globs.some((g) => names.some((n) => g.test(n)));
    if (matches(this.deny)) return { allowed: false, rule: "deny_servers" };
    if (this.allow.length > 0 && !matches(this.allow))
      return { allowed: false, rule: "allow_servers" };
    if (!this.settings.allowIpLiterals && isIpLiteral(server) && !matches(this.allow)) {
      return { allowed: false, rule: "ip_literal" };
    }
    return { allowed: true };
  }
}
