/**
 * Dashboard sessions, held on the server: a random id (the cookie) maps to who logged in,
 * a CSRF token for their forms, and an expiry. Nothing about a session is derivable from
 * another; a session ends at logout, at expiry, or when the process restarts.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** One logged-in person. */
export interface Session<P> {
  readonly principal: P;
  /** Sent in every state-changing form; checked in constant time. */
  readonly csrf: string;
  readonly expiresAt: number;
  /** A one-time message for the next page (an action's result; a rotated token, once). */
  flash: { readonly ok: boolean; readonly text: string; readonly secret?: string } | undefined;
}

const MAX_SESSIONS = 10_000;
const randomId = () => randomBytes(32).toString("base64url");
// Keyed by a digest of the id, so a timing side channel of the Map leaks nothing useful.
const keyOf = (id: string) => createHash("sha256").update(id).digest("base64url");

/** Server-side sessions with expiry. */
export class SessionStore<P> {
  private readonly sessions = new Map<string, Session<P>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Starts a session; answers its id (the cookie value). */
  create(principal: P): string {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next();
      if (oldest.done !== true) this.sessions.delete(oldest.value);
    }
    const id = randomId();
    this.sessions.set(keyOf(id), {
      principal,
      csrf: randomId(),
      expiresAt: this.now() + this.ttlMs,
      flash: undefined,
    });
    return id;
  }

  /** The live session of a cookie value, if any. */
  get(id: string | undefined): Session<P> | undefined {
    if (id === undefined || id.length > 100) return undefined;
    const key = keyOf(id);
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  /** Ends a session. */
  end(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(keyOf(id));
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(key);
  }
}

/** Whether a presented CSRF token is the session's (constant time). */
export function csrfMatches(session: Session<unknown>, presented: string | null): boolean {
  if (presented === null) return false;
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(session.csrf).digest();
  return timingSafeEqual(a, b);
}
