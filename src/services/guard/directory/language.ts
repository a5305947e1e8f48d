/**
 * Choosing the language of the `error` text from a request's Accept-Language header
 * (RFC 9110 §12.5.4, with RFC 4647 "lookup" matching), among the languages an operator
 * wrote texts in. MSC4176 lets a client pick from `messages` itself; `error` is for the
 * clients that do not, so it should already be in the user's language when we have it.
 */

/** Most language ranges read from one header (the rest are ignored). */
const MAX_RANGES = 20;
const RANGE = /^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/;

const normal = (tag: string) => tag.replace(/_/g, "-").toLowerCase();

/** The language ranges of an Accept-Language header, best first (q=0 dropped). */
export function acceptedLanguages(header: string | undefined): string[] {
  if (header === undefined || header.length > 1000) return [];
  const ranges: { tag: string; q: number; order: number }[] = [];
  for (const [order, part] of header.split(",").slice(0, MAX_RANGES).entries()) {
    const [rawTag = "", ...params] = part.trim().split(";");
    const tag = rawTag.trim();
    if (!RANGE.test(tag)) continue;
    let q = 1;
    for (const param of params) {
      const m = /^\s*q\s*=\s*([01](\.\d{0,3})?)\s*$/i.exec(param);
      if (m?.[1] !== undefined) q = Number(m[1]);
    }
    if (q > 0) ranges.push({ tag: normal(tag), q, order });
  }
  return ranges.sort((a, b) => b.q - a.q || a.order - b.order).map((r) => r.tag);
}

/**
 * The key of `texts` that best serves the header: an exact tag, then the tag with subtags
 * cut off one by one (`fr-CA` → `fr`), then a text in the same primary language
 * (`fr` → `fr-FR`); else `fallback` when it has a text, else the first text's key.
 */
export function pickLanguage(
  texts: Readonly<Record<string, string>>,
  header: string | undefined,
  fallback: string,
): string {
  const keys = Object.keys(texts);
  const byNormal = new Map(keys.map((key) => [normal(key), key]));
  for (const range of acceptedLanguages(header)) {
    if (range === "*") break;
    const subtags = range.split("-");
    for (let n = subtags.length; n > 0; n--) {
      const key = byNormal.get(subtags.slice(0, n).join("-"));
      if (key !== undefined) return key;
    }
    const primary = subtags[0];
    const sibling = keys.find((key) => normal(key).split("-")[0] === primary);
    if (sibling !== undefined) return sibling;
  }
  if (texts[fallback] !== undefined) return fallback;
  return keys[0] ?? fallback;
}
