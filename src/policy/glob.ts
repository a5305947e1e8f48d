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
  // Compare by code point, so `?` is one character even outside the BMP.
  const p = Array.from(pattern);
  const c = Array.from(candidate);
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
