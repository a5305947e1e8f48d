/**
 * Scenario 5's measuring child: room-directory search strings per second through the
 * TermMatcher (normalisation + a 1,000-term list), against a baseline of plain Set lookups
 * of the lower-cased string and its words, alternating in the same process.
 *
 *   node --import tsx bench/terms-child.ts REPS SECONDS_PER_REP
 *
 * Terms are made-up pronounceable words ("bakomi"), search strings ordinary benign words
 * with some terms mixed in, a share of them disguised (capitals, full-width letters,
 * accents, spaced letters, digits for letters, zero-width spaces).
 *
 * Then the cost per character of hostile texts (a 64 KiB "l1l1l1 " search against a hashed
 * list, 64 KiB of U+FDFA against a plain one, a 4,096 × U+FDFA topic), each against 64 KiB
 * (or 4,096 characters) of ordinary words through the same matcher in the same run, timed and
 * in the matcher's own work units. Prints one JSON line.
 */
import { TermMatcher, hashTerm, type WorkMeter } from "../src/core/text/index.js";
import { seededRandom } from "./synthetic.js";

const reps = Number(process.argv[2] ?? 1);
const secondsPerRep = Number(process.argv[3] ?? 1);
const random = seededRandom(5);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const CONSONANTS = "bdfgklmnprstvz";
const VOWELS = "aeiou";
const syllable = () => pick([...CONSONANTS]) + pick([...VOWELS]);
/** 1,000 distinct made-up words of three syllables; every tenth term is two of them. */
function makeTerms(): string[] {
  const terms = new Set<string>();
  while (terms.size < 1000) {
    const word = () => syllable() + syllable() + syllable();
    terms.add(terms.size % 10 === 9 ? `${word()} ${word()}` : word());
  }
  return [...terms];
}

const ORDINARY =
  "garden club music hiking teapot book cooking chess travel photo coffee linux cycling " +
  "football knitting poetry science movies gaming art history language learning jazz " +
  "birds running climbing baking news open source pixel retro cinema radio lounge";
const WORDS = ORDINARY.split(" ");

/** Ways a searcher might disguise a word (each keeps it matchable by the matcher). */
const DISGUISES: ((w: string) => string)[] = [
  (w) => w.toUpperCase(),
  (w) => [...w].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join(""), // full-width
  (w) => [...w].join(" "),
  (w) => w.replace(/a/g, "4").replace(/e/g, "3").replace(/o/g, "0"),
  (w) => w.replace(/a/g, "á").replace(/e/g, "ë"),
  (w) => [...w].join("\u200b"),
];

function makeSearches(terms: readonly string[], count: number): string[] {
  const searches: string[] = [];
  for (let i = 0; i < count; i++) {
    const words = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(WORDS));
    if (random() < 0.1) words.splice(Math.floor(random() * words.length), 0, pick(terms));
    const text = words.map((w) => (random() < 0.2 ? pick(DISGUISES)(w) : w)).join(" ");
    searches.push(text);
  }
  return searches;
}

const terms = makeTerms();
const searches = makeSearches(terms, 10_000);
const matcher = new TermMatcher([{ id: "bench", harms: ["m.spam"], terms }]);
const termSet = new Set(terms.map((t) => t.toLowerCase()));

const viaMatcher = (text: string) => matcher.match(text).matched;
const viaSet = (text: string) => {
  const lower = text.toLowerCase();
  return termSet.has(lower) || lower.split(" ").some((w) => termSet.has(w));
};

/** Strings per second of `check` over the search pool for about `seconds`. */
function rate(check: (text: string) => boolean, seconds: number): number {
  let done = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  let sink = 0;
  while (performance.now() < until) {
    for (const text of searches) if (check(text)) sink++;
    done += searches.length;
  }
  if (sink < 0) throw new Error("unreachable"); // keeps the loop observable to the JIT
  return done / ((performance.now() - started) / 1000);
}

rate(viaMatcher, 0.5); // warm-up: JIT and the matcher's lazily built tables
rate(viaSet, 0.5);
const matcherRates: number[] = [];
const setRates: number[] = [];
for (let i = 0; i < reps; i++) {
  matcherRates.push(rate(viaMatcher, secondsPerRep));
  setRates.push(rate(viaSet, secondsPerRep));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;

const hashed = new TermMatcher([
  {
    id: "bench",
    harms: ["m.spam"],
    hashedTerms: { sha256: terms.flatMap((t) => hashTerm(t)), maxWords: 4 },
  },
]);
const fill = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
const BENIGN = "garden club music hiking teapot book ";

/** Median ns per character of matching `text` (several runs), and work units per character. */
function perChar(m: TermMatcher, text: string) {
  const meter: WorkMeter = { units: 0 };
  m.match(text, meter); // warm-up, and the work count (deterministic)
  const times: number[] = [];
  for (let i = 0; i < Math.max(3, reps * 3); i++) {
    const started = performance.now();
    m.match(text);
    times.push(performance.now() - started);
  }
  return {
    nsPerChar: (1e6 * median(times)) / text.length,
    unitsPerChar: meter.units / text.length,
  };
}
const HOSTILE = [
  { name: '64 KiB "l1l1l1 " search, hashed list', matcher: hashed, unit: "l1l1l1 ", n: 65_536 },
  { name: "64 KiB U+FDFA search, plain list", matcher, unit: "\uFDFA", n: 65_536 },
  { name: "topic of 4,096 U+FDFA, plain list", matcher, unit: "\uFDFA", n: 4_096 },
] as const;
const hostile = HOSTILE.map(({ name, matcher: m, unit, n }) => ({
  name,
  chars: n,
  hostile: perChar(m, fill(unit, n)),
  benign: perChar(m, fill(BENIGN, n)),
}));
process.stdout.write(
  `${JSON.stringify({
    terms: terms.length,
    searches: searches.length,
    matcherPerSecond: Math.round(median(matcherRates)),
    setPerSecond: Math.round(median(setRates)),
    matcherHits: searches.filter(viaMatcher).length,
    setHits: searches.filter(viaSet).length,
    reps,
    hostile,
  })}\n`,
);
