/**
 * Glob-style matching as the Matrix spec defines it (appendix "Glob-style matching"): `*`
 * matches zero or more characters, `?` exactly one, everything else itself.
 *
 * Not a regular expression: a policy room is written by others, and a pattern such as
 * `*a*a*a*a*b` compiled to `^.*a.*a.*a.*a.*b$` backtracks for a very long time. This is the
 * classic two-pointer matcher that remembers only the last `*`: O(pattern × candidate) at
 * worst, and both are bounded at 255 bytes by the decoder.
 */

/** Whether a string holds a glob wildcard (`*` or `?`). */
export function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

/** Whether `candidate` matches the glob `pattern` (case-sensitive, whole string). */
export function globMatches(pattern: string, candidate: string): boolean {
  return new Glob(pattern).matches(candidate);
}

/**
 * A glob prepared once and matched many times: split into code points (so `?` is one
 * character even outside the BMP), with its literal head, tail and longest literal run kept
 * apart — most candidates fail those cheap string checks and never reach the matcher.
 */
export class Glob {
  private readonly chars: ArrayLike<string>;
  private readonly head: string;
  private readonly tail: string;
  private readonly longest: string;

  constructor(readonly pattern: string) {
    this.chars = codePoints(pattern);
    const first = pattern.search(/[*?]/);
    const last = Math.max(pattern.lastIndexOf("*"), pattern.lastIndexOf("?"));
    this.head = first < 0 ? pattern : pattern.slice(0, first);
    this.tail = first < 0 ? "" : pattern.slice(last + 1);
    // Every literal run between wildcards must occur in a match; the longest is the
    // rarest, so it is the one worth a substring search.
    this.longest = pattern.split(/[*?]/).reduce((a, b) => (b.length > a.length ? b : a), "");
  }

  /** Whether `candidate` matches, whole string. */
  matches(candidate: string): boolean {
    if (!candidate.startsWith(this.head) || !candidate.endsWith(this.tail)) return false;
    if (!candidate.includes(this.longest)) return false;
    return matchCodePoints(this.chars, codePoints(candidate));
  }
}

const SURROGATE_RE = /[\uD800-\uDFFF]/;

/** A string indexable by code point: itself when it has no surrogate pairs (no copy). */
function codePoints(s: string): ArrayLike<string> {
  return SURROGATE_RE.test(s) ? Array.from(s) : s;
}

/** The two-pointer matcher over code points. */
function matchCodePoints(p: ArrayLike<string>, c: ArrayLike<string>): boolean {
  let pi = 0;
  let ci = 0;
  let starAt = -1; // index in p of the last `*` seen
  let resumeAt = 0; // index in c that `*` currently stretches to
  while (ci < c.length) {
    if (pi < p.length && (p[pi] === "?" || (p[pi] !== "*" && p[pi] === c[ci]))) {
      pi++;
      ci++;
    } else if (pi < p.length && p[pi] === "*") {
      starAt = pi++;
      resumeAt = ci;
    } else if (starAt >= 0) {
      // Let the last `*` swallow one more character and retry from there.
      pi = starAt + 1;
      ci = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}
