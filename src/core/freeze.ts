/**
 * The freeze rule (Redlight spec, "Account Freezes"): a user pseudonym that hits listed
 * rooms `threshold` or more times within `windowMs` is frozen for the client that asked.
 * Repeat hits on the same report within `repeatGraceMs` count once: a client retrying,
 * or Synapse calling the join callback twice for one attempt, is not a second attempt.
 */

/** Freeze rule settings. */
export interface FreezeRule {
  readonly threshold: number;
  readonly windowMs: number;
  readonly repeatGraceMs: number;
}

/** An earlier hit of the same client and pseudonym. */
export interface PriorHit {
  readonly reportId: string;
  readonly at: number;
  /** Whether that hit counted toward the freeze. */
  readonly counted: boolean;
}

/** What a new hit means. */
export interface HitAssessment {
  /** Whether this hit counts toward the freeze (false for a quick repeat). */
  readonly counted: boolean;
  /** Counted hits inside the window, this one included. */
  readonly hitsInWindow: number;
  /** Whether the pseudonym is to be frozen now. */
  readonly freeze: boolean;
}

/** Applies the freeze rule to a new hit given the earlier hits (any order, any age). */
export function assessHit(
  rule: FreezeRule,
  prior: readonly PriorHit[],
  hit: { readonly reportId: string; readonly at: number },
): HitAssessment {
  const windowStart = hit.at - rule.windowMs;
  const repeat = prior.some(
    (p) => p.reportId === hit.reportId && hit.at - p.at < rule.repeatGraceMs && p.at <= hit.at,
  );
  const earlier = prior.filter((p) => p.counted && p.at > windowStart && p.at <= hit.at).length;
  const hitsInWindow = earlier + (repeat ? 0 : 1);
  return { counted: !repeat, hitsInWindow, freeze: !repeat && hitsInWindow >= rule.threshold };
}
