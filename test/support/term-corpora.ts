/**
 * Corpora for the term matcher: disguised forms of two benign placeholder terms
 * ("quokkaberry", "marmalade jar"), and ordinary room names and searches that must not
 * match a list of benign placeholder words. Never real abusive terms.
 */

/** The terms the evasion corpus disguises. */
export const EVASION_TERMS = ["quokkaberry", "marmalade jar"] as const;

/** Where a form is checked: any text (names, topics, searches), or directory searches only. */
export type Surface = "text" | "search";

/** One disguised form: its family, the text, and the surface it targets. */
export interface Evasion {
  readonly family: string;
  readonly text: string;
  readonly surface: Surface;
}

const T = "quokkaberry";
const mapLetters = (word: string, table: Readonly<Record<string, string>>) =>
  Array.from(word, (c) => table[c] ?? c).join("");
const offset = (word: string, upperBase: number, lowerBase = upperBase) =>
  Array.from(word, (c) =>
    String.fromCodePoint((c >= "a" ? lowerBase : upperBase) + c.toLowerCase().charCodeAt(0) - 97),
  ).join("");

// Per-letter look-alikes, written out so the corpus does not depend on the table it tests.
const GREEK: Record<string, string> = {
  o: "\u03bf",
  k: "\u03ba",
  a: "\u03b1",
  b: "\u03b2",
  e: "\u03b5",
  u: "\u03c5",
  y: "\u03b3",
};
const GREEK_CAPS: Record<string, string> = {
  o: "\u039f",
  k: "\u039a",
  a: "\u0391",
  b: "\u0392",
  e: "\u0395",
  y: "\u03a5",
};
const CYRILLIC: Record<string, string> = {
  o: "\u043e",
  k: "\u043a",
  a: "\u0430",
  e: "\u0435",
  r: "\u0433",
  y: "\u0443",
  q: "\u051b",
  b: "\u044c",
};
const CYRILLIC_CAPS: Record<string, string> = {
  o: "\u041e",
  k: "\u041a",
  a: "\u0410",
  b: "\u0412",
  e: "\u0415",
  y: "\u0423",
};
const SMALL_CAPS: Record<string, string> = {
  q: "\ua7af",
  u: "\u1d1c",
  o: "\u1d0f",
  k: "\u1d0b",
  a: "\u1d00",
  b: "\u0299",
  e: "\u1d07",
  r: "\u0280",
  y: "\u028f",
};
const CHEROKEE_SMALL: Record<string, string> = {
  a: "\uab7a",
  e: "\uab9b",
  o: "\uab74",
  k: "\uabb6",
  r: "\uab71",
};
const ARMENIAN: Record<string, string> = { o: "\u0585", q: "\u0566", u: "\u057d" };
const LATIN_ODD: Record<string, string> = {
  a: "\u0251",
  o: "\u1d0f",
  k: "\u0138",
  y: "\u028f",
  e: "\u0435",
};

const text = (family: string, ...forms: string[]): Evasion[] =>
  forms.map((form) => ({ family, text: form, surface: "text" }));
const search = (family: string, ...forms: string[]): Evasion[] =>
  forms.map((form) => ({ family, text: form, surface: "search" }));

/** Over a hundred disguised forms; every one must be caught. */
export const EVASIONS: readonly Evasion[] = [
  ...text("case", "QUOKKABERRY", "QuOkKaBeRrY", "Quokkaberry"),
  ...text(
    "presentation",
    offset(T, 0xff21, 0xff41), // fullwidth
    offset(T, 0x1d400, 0x1d41a), // mathematical bold
    offset(T, 0x1d4d0, 0x1d4ea), // bold script
    offset(T, 0x1d56c, 0x1d586), // bold fraktur
    offset(T, 0x1d5d4, 0x1d5ee), // sans-serif bold
    offset(T, 0x1d670, 0x1d68a), // monospace
    offset(T, 0x24b6, 0x24d0), // circled
    offset(T, 0x249c), // parenthesized
    offset(T, 0x1f130), // squared
    offset(T, 0x1f170), // negative squared
    offset(T, 0x1f150), // negative circled
    offset(T, 0x1f1e6), // regional indicators
    mapLetters(T, SMALL_CAPS),
    "q\u1d58okkaberry", // modifier letter u
  ),
  ...text(
    "confusables",
    mapLetters(T, GREEK),
    mapLetters(T.toUpperCase().toLowerCase(), GREEK_CAPS),
    mapLetters(T, CYRILLIC),
    mapLetters(T, CYRILLIC_CAPS).toUpperCase(),
    mapLetters(T, CYRILLIC_CAPS),
    mapLetters(T, CHEROKEE_SMALL),
    mapLetters(T, ARMENIAN),
    mapLetters(T, LATIN_ODD),
    "qu\u03bfkk\u0430berry", // one Greek, one Cyrillic
    "quokk\u0430b\u0435rry",
    "qu\u0585kkaberry", // Armenian oh
  ),
  ...text(
    "invisible",
    "quok\u200bkaberry",
    "q\u200du\u200co\u2060kkaberry",
    "quokka\u00adberry",
    "quokka\ufeffberry",
    "quo\ufe0fkkaberry",
    "quokka\u034fberry",
    "quokka\u180eberry",
    "quokka\u2062berry",
    "quokka\u{e0062}berry",
    "q\u3164uokkaberry",
  ),
  ...text(
    "marks",
    "qu\u00f6kk\u00e4b\u00e9rry",
    "q\u0336u\u0336o\u0336kkaberry",
    "q\u0301\u0302\u0303\u0304uokkaberry",
    "quokkaberry\u20dd",
    "\uff51uokkaberry\u0489",
  ),
  ...text(
    "bidi",
    "\u202eyrrebakkouq",
    "\u202eyrrebakkouq\u202c",
    "\u2067yrrebakkouq\u2069",
    "quokka\u202eyrreb\u202c",
    "join \u202eyrrebakkouq\u202c now",
    "\u202b\u202eyrrebakkouq",
    "\u202eraj edalamram\u202c",
  ),
  ...text(
    "leet",
    "qu0kk4b3rry",
    "quokk@berry",
    "qu0kkab3rry",
    "quokka8erry",
    "quokkab\u20acrry",
    "quokkaberr\u00a5",
    "qu()kkaberry",
    "quo|<|<aberry",
    "quokk4berry!",
    "QU0KK4B3RRY",
    "quokk4b3rry",
  ),
  ...text(
    "phonetic",
    "kwokkaberry",
    "qwokkaberry",
    "quockaberry",
    "quokkaberrie",
    "quokkaberri",
    "kuokkaberry",
    "quokkabery",
  ),
  ...text(
    "split",
    "quokka.berry",
    "quokka-berry",
    "quokka_berry",
    "quok.ka.berry",
    "quo-kka-ber-ry",
    "quokka/berry",
    "quokka'berry",
    "quokka\u2026berry",
    "quokka\u00b7berry",
    "quokka berry",
    "quokka\tberry",
    "q-uokkaberry",
    "quokkaberr-y",
    "qu ok ka be rr y",
  ),
  ...text(
    "affixes",
    "quokkaberry1",
    "quokkaberry123",
    "quokkaberry2024",
    "quokkaberries",
    "quokkaberrys",
    "quokkaberry's",
    "#quokkaberry",
    "@quokkaberry",
    "quokkaberry!!!",
    "quokkaberry_official",
    "2024quokkaberry",
  ),
  ...text(
    "spaced",
    "q u o k k a b e r r y",
    "q.u.o.k.k.a.b.e.r.r.y",
    "q_u_o_k_k_a_b_e_r_r_y",
    "Q U O K K A B E R R Y",
    "aa q u o k k a b e r r y",
    "q.u.o.k.k.a.b.e.r.r.y zzz",
    "q  u  o  k  k  a  b  e  r  r  y",
    "q u o k k a b e r r y s",
  ),
  ...text("repeats", "quuuokkkaaberrrry", "qquuookkkkaabbeerrrryy"),
  ...text(
    "multi-word",
    "MARMALADE JAR",
    "marmalade-jar",
    "marmaladejar",
    "m@rm@lade j@r",
    "marmalade jars",
    "marmalade \u00b7 jar",
    "m\u0430rm\u0430lade j\u0430r",
    "marmalade\u200b jar",
  ),
  ...search(
    "like-wildcards",
    "quo__aberry",
    "quokka%",
    "%okkaberry",
    "quo%berry",
    "q_okkaberry",
    "quokkaberr_",
    "quokk_berry",
    "_uokkaberry",
    "quokka%berry",
    "marmalade_jar",
    "marmalade%",
    "marmal%jar",
    "QUOKKA%",
  ),
];

/** Benign placeholder words standing in for an operator's list in the false-positive test. */
export const BENIGN_TERMS = [
  "quokkaberry",
  "marmalade jar",
  "pineapple",
  "teapot",
  "wombat",
  "kettle",
  "crumpet",
  "lantern",
  "puffin",
  "walrus",
  "otter",
  "biscuit",
  "saucer",
  "pancake",
  "giraffe",
  "hedgehog",
  "trumpet",
  "velvet",
  "noodle",
  "pickle",
] as const;

const ROOM_WORDS =
  "matrix,rust,python,linux,debian,arch,gaming,chess,music,jazz,rock,photography,hiking," +
  "cycling,running,cooking,baking,gardening,books,poetry,writing,history,science,physics," +
  "astronomy,space,math,art,design,cinema,movies,anime,coffee,climbing,travel,language," +
  "learning,french,german,spanish,japanese,news,politics,football,tennis,knitting,birds," +
  "cats,dogs,pets,open,source,self,hosting,privacy,security,crypto,dev,frontend,backend," +
  "support,help,general,offtopic,random,lounge,community,club,meetup,events,berlin,paris," +
  "london,tokyo,students,parents,retro,pixel,radio,podcast,board,games,tabletop,dnd,fans," +
  "official,announcements,releases,bridge,irc,element,synapse,homeserver,admins,moderation";
const TEMPLATES = [
  (a: string, b: string) => `${a} ${b}`,
  (a: string, b: string) => `${a} ${b} community`,
  (a: string, b: string) => `The ${a} & ${b} room`,
  (a: string, b: string) => `#${a}-${b}:example.org`,
  (a: string, b: string) => `${a.toUpperCase()} ${b}`,
  (a: string, b: string) => `${a}_${b}`,
  (a: string, b: string) => `${a} lovers (${b} edition)`,
  (a: string, b: string) => `${a}/${b} chat 2024`,
];

/** A few hundred ordinary room names, aliases and searches, deterministic. */
export const BENIGN_TEXTS: readonly string[] = (() => {
  const words = ROOM_WORDS.split(",");
  const out: string[] = [
    "Welcome to the Matrix HQ",
    "Office hours: Tuesdays at 3pm",
    "Pet photos, please be kind",
    "Concatenate strings in Rust",
    "Category theory reading group",
    "Scunthorpe United supporters",
    "Pine and apple orchard tips",
    "Therapist finder for students",
    "Tea, pots and pans",
    "Otto's bakery",
    "Kettlebell training",
    "Pickleball Berlin",
    "Walled gardens of the Arctic documentary",
    "i18n and l10n help",
    "C++ and C# developers",
    "100% open source",
    "my_project_dev",
    "Q&A for beginners",
    "Café Übersee",
    "日本語の部屋",
    "Русский чат о кино",
    "Ελληνικά μαθήματα",
  ];
  for (let i = 0; i < words.length; i++) {
    for (let k = 0; k < TEMPLATES.length; k += 3) {
      const a = words[i] ?? "";
      const b = words[(i * 7 + k * 3 + 5) % words.length] ?? "";
      out.push((TEMPLATES[(i + k) % TEMPLATES.length] ?? TEMPLATES[0]!)(a, b));
    }
  }
  return out;
})();
