/**
 * Regenerates `confusables-table.ts` from Unicode's UTS #39 confusable data.
 *
 * Dev-time tool, not part of the runtime core (it reads and writes files):
 *
 *   npx tsx scripts/generate-confusables.ts <input> "<source description>"
 *   npx prettier --write src/core/text/confusables-table.ts
 *
 * `<input>` is either Unicode's own `confusables.txt` (lines `0430 ; 0061 ; MA # …`) or the
 * `src/tables.rs` of the `unicode-security` Rust crate, which is generated from that file
 * (its `CONFUSABLES` table holds the same source → prototype pairs). The shipped table is
 * built from the complete `confusables.txt` of Unicode 17.0.0 (2025-07-22), as published at
 * https://www.unicode.org/Public/security/latest/confusables.txt (the copy used was taken
 * from a public GitHub repository carrying it verbatim, since the build machine is offline),
 * united with the previous table (unicode-security 0.1.3, Unicode 18.0.0 data), whose rows
 * a generated `.ts` input carries forward:
 *
 *   npx tsx scripts/generate-confusables.ts old-table.ts confusables.txt "<note>"
 *
 * What is kept, and why (see normalise.ts for the pipeline these rows plug into):
 * - Only non-ASCII sources: ASCII look-alikes (0/O, 1/l, m/rn) are handled by the leetspeak
 *   step, where the reference asks for them, and folding ASCII letters into each other
 *   (UTS #39 maps `m` to `rn`) would rewrite ordinary words.
 * - Only letters and numbers as sources: symbol and punctuation look-alikes (`│`, `∣`, the
 *   Devanagari danda `।`) are used as separators, and folding them to letters would glue
 *   neighbouring words together. The presentation forms below are the one exception.
 * - Only sources that survive the earlier steps (NFKC, combining-mark stripping); anything
 *   else never reaches the table, so it would be dead weight.
 * - Only prototypes that become Latin letters or digits after dropping marks, lowering and
 *   {@link LATIN_SHAPES}: the point is a Latin skeleton (`ø` → `o` + U+0338 becomes `o`,
 *   Cyrillic `а` → `a`, Greek `κ` → `ĸ` → `k`).
 * - The prototype `rn` is turned back into `m` (UTS #39 prototypes `m` as `rn`; a source
 *   with that prototype looks like an `m`), and `l` becomes the i/l ambiguity marker `I`
 *   (UTS #39 prototypes capital I, `1` and `|` as `l`, so a source with prototype `l` may be
 *   read as either letter).
 * - Presentation forms that NFKC leaves alone but that read as Latin letters are added by
 *   range ({@link PRESENTATION}): regional indicators, negative squared and negative
 *   circled letters, small capitals.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

type Pair = readonly [source: number, prototype: readonly number[]];

function parseConfusablesTxt(text: string): Pair[] {
  const pairs: Pair[] = [];
  for (const line of text.split("\n")) {
    const m = /^([0-9A-F]{4,6})\s*;\s*([0-9A-F ]+?)\s*;/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    pairs.push([parseInt(m[1], 16), m[2].split(" ").map((h) => parseInt(h, 16))]);
  }
  return pairs;
}

function parseRustTables(text: string): Pair[] {
  const start = text.indexOf("const CONFUSABLES");
  const body = text.slice(start, text.indexOf("];", start));
  const pairs: Pair[] = [];
  for (const m of body.matchAll(/\('\\u\{([0-9a-f]+)\}',\s*&\[([^\]]*)\]\)/g)) {
    const targets = [...(m[2] ?? "").matchAll(/\\u\{([0-9a-f]+)\}/g)];
    pairs.push([parseInt(m[1] ?? "", 16), targets.map((t) => parseInt(t[1] ?? "", 16))]);
  }
  return pairs;
}

const stripMarks = (s: string): string =>
  s.normalize("NFKD").replace(/\p{M}/gu, "").normalize("NFC");

/**
 * UTS #39 picks many prototypes that are Latin but not ASCII: small capitals (Cyrillic `т`
 * → `ᴛ`), kra (`κ`, `к` → `ĸ`), c with bar (`ε` → `ꞓ`). A reader takes each for the ASCII
 * letter below, so prototypes are mapped through this once more.
 */
const LATIN_SHAPES: Readonly<Record<string, string>> = {
  "\ua793": "e", // ꞓ: ε, є, ɛ
  "\ua792": "e", // Ꞓ: Є
  "\u0190": "e", // Ɛ
  "\u025b": "e", // ɛ
  "\u01dd": "e", // ǝ: ə, ә
  "\u0138": "k", // ĸ: κ, к, ᴋ
  "\u1d1b": "t", // ᴛ: τ, т
  "\u01ab": "t", // ƫ
  "\u028d": "m", // ʍ: м
  "\u1d0d": "m", // ᴍ
  "\u0299": "b", // ʙ: в
  "\u0262": "g", // ɢ
  "\u029c": "h", // ʜ: н
  "\u029f": "l", // ʟ
  "\u1d0e": "n", // ᴎ: и
  "\u0274": "n", // ɴ
  "\u0185": "b", // ƅ: ь
  "\u1d18": "p", // ᴘ
  "\u0280": "r", // ʀ
  "\u1d19": "r", // ᴙ: я
  "\u1d26": "r", // ᴦ: г
  "\u1d00": "a", // ᴀ
  "\u1d05": "d", // ᴅ: Cherokee ꭰ
  "\u0237": "j", // ȷ
  "\u0254": "c", // ɔ
  "\u0186": "c", // Ɔ
  "\u03c0": "n", // π: п
  "\u1d28": "n", // ᴨ
  "\u021d": "3", // ȝ: з
  "\u025c": "3", // ɜ
  "\u0245": "a", // Ʌ: Λ, Л
};

/**
 * Sources whose UTS #39 prototype would mislead: Greek beta's prototype is the German sharp
 * s `ß`, which must stay "ss" for German, yet beta reads as a `b`.
 */
const SOURCE_OVERRIDES: Readonly<Record<string, string>> = {
  "\u03b2": "b", // β
  "\u03d0": "b", // ϐ
  "\ua7b5": "b", // ꞵ
};

/** Small capitals A–Z (U+1D00 block and stragglers), which NFKC leaves as they are. */
const SMALL_CAPITALS =
  "\u1d00\u0299\u1d04\u1d05\u1d07\ua730\u0262\u029c\u026a\u1d0a\u1d0b\u029f\u1d0d\u0274\u1d0f\u1d18\ua7af\u0280\ua731\u1d1b\u1d1c\u1d20\u1d21\u0078\u028f\u1d22";

/**
 * Presentation forms read as Latin letters that neither NFKC nor UTS #39 fold: regional
 * indicator symbols (U+1F1E6…), negative circled (U+1F150…) and negative squared
 * (U+1F170…) capital letters, and small capitals. Some are symbols (So), not letters:
 * normalise.ts folds those before splitting words.
 */
function presentationForms(): Map<string, string> {
  const out = new Map<string, string>();
  for (let k = 0; k < 26; k++) {
    const letter = String.fromCharCode(97 + k);
    for (const base of [0x1f1e6, 0x1f150, 0x1f170]) out.set(String.fromCodePoint(base + k), letter);
    const small = [...SMALL_CAPITALS][k];
    if (small !== undefined && small !== letter) out.set(small, letter);
  }
  return out;
}

/** An ASCII skeleton for a prototype, or undefined when it is not Latin letters/digits. */
function asciiSkeleton(proto: string): string | undefined {
  let target = "";
  for (const c of proto) target += LATIN_SHAPES[c] ?? c;
  target = stripMarks(target).toLowerCase();
  for (const c of target)
    if (LATIN_SHAPES[c] !== undefined) target = target.replace(c, LATIN_SHAPES[c]);
  target = target.replace(/['\u00b7\u02c9]/g, ""); // apostrophe-like and middle-dot parts
  return /^[a-z0-9]+$/.test(target) ? target : undefined;
}

/** Source → Latin skeleton, filtered as described above. */
export function selectLatinSkeletons(pairs: readonly Pair[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [cp, proto] of pairs) {
    if (cp < 0x80) continue;
    const source = String.fromCodePoint(cp);
    if (!/^[\p{L}\p{N}]$/u.test(source)) continue;
    if (stripMarks(source.normalize("NFKC")) !== source) continue;
    let target = asciiSkeleton(String.fromCodePoint(...proto));
    if (target === undefined) continue;
    if (target === "rn") target = "m";
    out.set(source, target.replaceAll("l", "I"));
  }
  for (const [source, target] of Object.entries(SOURCE_OVERRIDES)) out.set(source, target);
  // The non-ASCII Latin prototypes are look-alikes themselves (kra `ĸ`, small capital `ᴛ`).
  for (const [source, target] of Object.entries(LATIN_SHAPES)) {
    if (!out.has(source) && /^\p{L}$/u.test(source)) out.set(source, target.replaceAll("l", "I"));
  }
  for (const [source, target] of presentationForms()) {
    if (!out.has(source)) out.set(source, target.replaceAll("l", "I"));
  }
  return out;
}

const escape = (s: string): string =>
  Array.from(s, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    return cp < 0x80
      ? c
      : cp > 0xffff
        ? `\\u{${cp.toString(16)}}`
        : `\\u${cp.toString(16).padStart(4, "0")}`;
  }).join("");

function render(map: ReadonlyMap<string, string>, sourceNote: string): string {
  const groups = new Map<string, string[]>();
  for (const [source, target] of map) groups.set(target, [...(groups.get(target) ?? []), source]);
  const rows: string[] = [];
  for (const target of [...groups.keys()].sort()) {
    const sources = (groups.get(target) ?? []).sort(
      (a, b) => (a.codePointAt(0) ?? 0) - (b.codePointAt(0) ?? 0),
    );
    // Wrap long groups so each generated line stays readable.
    const chunks: string[] = [];
    for (let i = 0; i < sources.length; i += 12)
      chunks.push(`"${escape(sources.slice(i, i + 12).join(""))}"`);
    rows.push(`  ["${target}", ${chunks.join(" +\n    ")}],`);
  }
  return `// GENERATED by scripts/generate-confusables.ts — do not edit by hand.
// Source: ${sourceNote}.
// Unicode data: UTS #39 confusables.txt, © Unicode, Inc., Unicode License v3.
// ${map.size} non-ASCII characters folded to their Latin skeleton ("I" marks i/l ambiguity).

/** [skeleton, characters that look like it] pairs, grouped by skeleton. */
const GROUPS: readonly (readonly [string, string])[] = [
${rows.join("\n")}
];

/** Non-ASCII character → Latin skeleton (UTS #39 confusable prototype, see generator). */
export const CONFUSABLE_SKELETONS: ReadonlyMap<string, string> = new Map(
  GROUPS.flatMap(([skeleton, chars]) => Array.from(chars, (c) => [c, skeleton] as const)),
);
`;
}

/**
 * Rows of a table this script generated before: carries forward characters of a newer
 * Unicode version than the `confusables.txt` at hand (the skeleton stands as prototype).
 */
function parseGeneratedTable(text: string): Pair[] {
  const unescape = (s: string) =>
    s.replace(/\\u\{([0-9a-f]+)\}|\\u([0-9a-f]{4})/g, (_, a?: string, b?: string) =>
      String.fromCodePoint(parseInt(a ?? b ?? "", 16)),
    );
  const pairs: Pair[] = [];
  for (const row of text.matchAll(/\[\s*"([0-9a-zI]+)",\s*((?:"[^"]*"\s*\+?\s*)+),?\s*\]/g)) {
    const proto = Array.from((row[1] ?? "").replaceAll("I", "l"), (c) => c.charCodeAt(0));
    for (const chunk of (row[2] ?? "").matchAll(/"([^"]*)"/g)) {
      for (const c of unescape(chunk[1] ?? "")) pairs.push([c.codePointAt(0) ?? 0, proto]);
    }
  }
  return pairs;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const note = args.pop();
  if (args.length === 0 || note === undefined) {
    throw new Error(
      "usage: generate-confusables.ts <confusables.txt|tables.rs|old-table.ts>... <source note>",
    );
  }
  // Several inputs are united; for a character in more than one, the first input wins.
  const pairs: Pair[] = [];
  for (const input of args.reverse()) {
    const text = readFileSync(input, "utf8");
    if (input.endsWith(".rs")) pairs.push(...parseRustTables(text));
    else if (input.endsWith(".ts")) pairs.push(...parseGeneratedTable(text));
    else pairs.push(...parseConfusablesTxt(text));
  }
  const outPath = fileURLToPath(new URL("../src/core/text/confusables-table.ts", import.meta.url));
  writeFileSync(outPath, render(selectLatinSkeletons(pairs), note));
  console.log(`wrote ${outPath} from ${pairs.length} confusable pairs`);
}
