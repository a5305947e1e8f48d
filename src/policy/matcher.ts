/**
 * Matching users and servers against user and server rules, for the guard: exact ids, spec
 * globs, and MSC4205 hashes (matched by hashing the candidate, since a hash cannot be
 * turned back into its entity). Only `ban` and `takedown` rules match; other
 * recommendations (an allow list, an unban) are not ours to enforce.
 */
import { hash } from "node:crypto";
import { Glob } from "./glob.js";
import type { PolicyRule } from "./rules.js";

/** What matched: the strongest recommendation among the matching rules. */
export interface PolicyMatch {
  readonly recommendation: "ban" | "takedown";
}

type Enforced = PolicyMatch["recommendation"];

/** Exact entities, hashes (base64 of SHA-256, as MSC4205 writes them) and globs of one kind. */
class Index {
  readonly exact = new Map<string, Enforced>();
  readonly hashed = new Map<string, Enforced>();
  readonly globs: { readonly glob: Glob; readonly recommendation: Enforced }[] = [];

  /** The strongest recommendation matching any of `candidates`. */
  match(candidates: readonly string[]): PolicyMatch | undefined {
    let best: Enforced | undefined;
    const consider = (r: Enforced | undefined) => {
      if (r !== undefined && best !== "takedown") best = r;
    };
    for (const candidate of candidates) {
      consider(this.exact.get(candidate));
      if (this.hashed.size > 0) consider(this.hashed.get(sha256Base64(candidate)));
      for (const glob of this.globs) {
        if (best === "takedown" || glob.recommendation === best) continue;
        if (glob.glob.matches(candidate)) consider(glob.recommendation);
      }
    }
    return best === undefined ? undefined : { recommendation: best };
  }
}

const sha256Base64 = (entity: string) => hash("sha256", entity, "base64");

/** Adds `value` under `key`, keeping takedown over ban. */
function put(map: Map<string, Enforced>, key: string, value: Enforced): void {
  if (map.get(key) !== "takedown") map.set(key, value);
}

/** Answers "does a rule in force name this user / this server?" (built by PolicyRuleset). */
export class PolicyMatcher {
  private readonly users = new Index();
  private readonly servers = new Index();

  constructor(rules: Iterable<PolicyRule>) {
    for (const rule of rules) {
      if (rule.recommendation === "other" || rule.kind === "room") continue;
      const index = rule.kind === "user" ? this.users : this.servers;
      const { target, recommendation } = rule;
      if (target.form === "user") put(index.exact, target.userId, recommendation);
      else if (target.form === "server") put(index.exact, target.serverName, recommendation);
      else if (target.form === "hash") {
        put(index.hashed, target.sha256.toString("base64"), recommendation);
      } else if (target.form === "glob")
        index.globs.push({ glob: new Glob(target.pattern), recommendation });
    }
  }

  /** Whether a user rule names `userId` (case-sensitive, as user ids are compared). */
  matchesUser(userId: string): PolicyMatch | undefined {
    return this.users.match([userId]);
  }

  /**
   * Whether a server rule names server `name` (for a user, pass the server part of their
   * id). Server names are compared in lower case, and with and without a port: like the
   * spec's server ACLs, a rule for `bad.example` covers `bad.example:8448`.
   */
  matchesServer(name: string): PolicyMatch | undefined {
    const lower = name.toLowerCase();
    const host = withoutPort(lower);
    const candidates = new Set([lower, host]);
    // A hash was made from the name as its author wrote it; try that spelling too.
    const hashedOnly = name === lower ? undefined : name;
    const found = this.servers.match([...candidates]);
    if (found !== undefined || hashedOnly === undefined) return found;
    const hashed = this.servers.hashed.get(sha256Base64(hashedOnly));
    return hashed === undefined ? undefined : { recommendation: hashed };
  }
}

/** `host` of `host:port`, `[v6]` of `[v6]:port`; the name itself when there is no port. */
function withoutPort(name: string): string {
  const colon = name.lastIndexOf(":");
  if (colon < 0 || name.lastIndexOf("]") > colon) return name;
  return /^\d{1,5}$/.test(name.slice(colon + 1)) ? name.slice(0, colon) : name;
}
