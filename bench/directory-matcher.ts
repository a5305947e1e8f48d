/**
 * Throughput of the term matcher on a 1,000-term list, as the room directory guard uses it:
 * directory search terms (one per POST search), and the name, topic and alias of every
 * room on a 100-room page (300 texts per page). Plain and hashed (`format: sha256`) lists.
 * Terms are synthetic nonsense words from benign syllables; no real term is involved.
 *
 *   npx tsx bench/directory-matcher.ts [--terms 1000] [--seconds 2]
 */
import { parseArgs } from "node:util";
import { hashTerm, TermMatcher, type TermList } from "../src/core/text/index.js";

const { values } = parseArgs({
  options: {
    terms: { type: "string", default: "1000" },
    seconds: { type: "string", default: "2" },
  },
});
const TERMS = Number(values.terms);
const SECONDS = Number(values.seconds);

/** A deterministic PRNG (mulberry32), so every run matches the same texts. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "zu",
  "ter",
  "vin",
  "dor",
  "pel",
  "qua",
  "sim",
  "bro",
  "fen",
  "gul",
  "hax",
  "jo",
  "nyx",
];
const word = (min = 2, max = 4) =>
  Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, () => pick(SYLLABLES)).join(
    "",
  );
const COMMON = [
  "the",
  "club",
  "room",
  "chat",
  "fans",
  "of",
  "and",
  "news",
  "for",
  "matrix",
  "community",
  "daily",
];

// The list: 1,000 terms of one to three made-up words.
const terms = Array.from({ length: TERMS }, () =>
  Array.from({ length: 1 + Math.floor(random() * 3) }, () => word(3, 4)).join(" "),
);
// Searches: mostly benign words, some list terms in evasion forms (every sixth).
const evade = (t: string) =>
  pick([
    (s: string) => s.toUpperCase(),
    (s: string) => s.split("").join(" "),
    (s: string) => s.replace(/o/g, "0").replace(/e/g, "3"),
    (s: string) => s.replace(/a/g, "\u0430"), // Cyrillic a
    (s: string) => s.split("").join("\u200b"),
  ])(t);
const searches = Array.from({ length: 600 }, (_, i) =>
  i % 6 === 0 ? evade(pick(terms)) : `${pick(COMMON)} ${word()}`,
);
// A page: 100 rooms, each with a name, a topic of 10–30 words and an alias.
const sentence = (n: number) =>
  Array.from({ length: n }, () => (random() < 0.5 ? pick(COMMON) : word())).join(" ");
const page = Array.from({ length: 100 }, (_, i) => [
  `${sentence(3)} ${i}`,
  sentence(10 + Math.floor(random() * 20)),
  `#${word()}-${i}:example.org`,
]).flat();

const lists: Record<string, TermList> = {
  plain: { id: "bench", harms: ["m.spam"], terms },
  hashed: {
    id: "bench",
    harms: ["m.spam"],
    hashedTerms: { sha256: terms.flatMap((t) => hashTerm(t)), maxWords: 3 },
  },
};

function throughput(label: string, texts: readonly string[], matcher: TermMatcher, per: number) {
  let i = 0;
  let matched = 0;
  for (let w = 0; w < 2_000; w++) matcher.match(texts[w % texts.length] ?? ""); // warm-up
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  let ops = 0;
  while (performance.now() < deadline) {
    for (let k = 0; k < 100; k++, i++)
      if (matcher.match(texts[i % texts.length] ?? "").matched) matched++;
    ops += 100;
  }
  const elapsed = (performance.now() - started) / 1000;
  const perSecond = ops / elapsed;
  return {
    label,
    "texts/s": Math.round(perSecond),
    "µs/text": Number((1e6 / perSecond).toFixed(2)),
    [`${per === 1 ? "searches" : "pages"}/s`]: Math.round(perSecond / per),
    "matched %": Number(((100 * matched) / ops).toFixed(1)),
  };
}

const rows = [];
for (const [kind, list] of Object.entries(lists)) {
  const built = performance.now();
  const matcher = new TermMatcher([list]);
  const buildMs = performance.now() - built;
  console.log(`${kind}: ${TERMS} terms built in ${buildMs.toFixed(1)} ms`);
  rows.push(throughput(`${kind}: search terms`, searches, matcher, 1));
  rows.push(throughput(`${kind}: room texts (3 per room)`, page, matcher, 300));
}
console.table(rows);
console.log(`node ${process.version}, ${TERMS} terms, ${SECONDS} s per row`);
