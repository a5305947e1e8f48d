/**
 * Who sends a request: the proxy sees only an access token, so it asks the homeserver
 * (`GET /_matrix/client/v3/account/whoami`, spec "Client-Server API" §Account management)
 * with the very credentials the request carries — the Authorization header, or the
 * deprecated `access_token` query parameter, and an application service's `user_id`
 * (spec §Application Services, identity assertion) — so the homeserver's own rules decide.
 *
 * Answers are cached briefly, keyed by a SHA-256 of the credentials: a token itself is
 * never kept, logged or compared. A refusal (401 M_MISSING_TOKEN / M_UNKNOWN_TOKEN, a
 * locked account, 429) is the homeserver's own answer, relayed as is and never cached.
 */
import { createHash } from "node:crypto";
import { parseUserId, type UserId } from "../../../core/ids.js";
import type { UpstreamAnswer, UpstreamFailure } from "../directory/upstream.js";
import { forwardedHeaders } from "../directory/upstream.js";
import { queryOf, type ClientRequest, type Homeserver } from "./homeserver.js";

/** Whom a request's credentials name. */
export type Identity =
  | { readonly kind: "user"; readonly user: UserId }
  /** The homeserver refused the credentials: its answer, to relay. */
  | { readonly kind: "refused"; readonly answer: UpstreamAnswer }
  /** The homeserver gave no usable answer. */
  | { readonly kind: "unavailable"; readonly failure: UpstreamFailure | "garbage" };

/** What identification uses. */
export interface IdentitiesDeps {
  readonly homeserver: Homeserver;
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly now: () => number;
}

const WHOAMI = "/_matrix/client/v3/account/whoami";
/** Query parameters that take part in authentication (the rest are not whoami's). */
const AUTH_PARAMS = ["access_token", "user_id"] as const;

/** Identifies requests by their access token, with a short cache. */
export class Identities {
  private readonly cache = new Map<string, { user: UserId; until: number }>();

  constructor(private readonly deps: IdentitiesDeps) {}

  /** Cached users (for tests and metrics). */
  get size(): number {
    return this.cache.size;
  }

  async identify(request: ClientRequest): Promise<Identity> {
    const { now } = this.deps;
    const params = authParams(request.rawUrl);
    const authorization = header(request.headers.authorization);
    const key = cacheKey(authorization, params);
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.until > now()) return { kind: "user", user: cached.user };
    if (cached !== undefined) this.cache.delete(key);

    const headers = forwardedHeaders(request.headers, request.peer);
    delete headers["content-type"];
    const query = params.toString();
    const answered = await this.deps.homeserver({
      method: "GET",
      path: query === "" ? WHOAMI : `${WHOAMI}?${query}`,
      headers,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
    if (!answered.ok) return { kind: "unavailable", failure: answered.error };
    const answer = answered.value;
    if (answer.status >= 400 && answer.status < 500) return { kind: "refused", answer };
    if (answer.status !== 200) return { kind: "unavailable", failure: "garbage" };
    const user = parseUserId(userIdOf(answer.body));
    if (!user.ok) return { kind: "unavailable", failure: "garbage" };
    this.remember(key, user.value);
    return { kind: "user", user: user.value };
  }

  private remember(key: string, user: UserId): void {
    if (this.cache.size >= this.deps.maxEntries) {
      // Map order is insertion order: the oldest entry goes first.
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { user, until: this.deps.now() + this.deps.ttlMs });
  }
}

function authParams(rawUrl: string): URLSearchParams {
  const all = new URLSearchParams(queryOf(rawUrl));
  const kept = new URLSearchParams();
  for (const name of AUTH_PARAMS) for (const value of all.getAll(name)) kept.append(name, value);
  return kept;
}

function cacheKey(authorization: string | undefined, params: URLSearchParams): string {
  return createHash("sha256")
    .update(JSON.stringify([authorization ?? null, params.toString()]))
    .digest("hex");
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

function userIdOf(body: Buffer): unknown {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)["user_id"]
      : undefined;
  } catch {
    return undefined;
  }
}
