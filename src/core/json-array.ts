/**
 * Parsing a large JSON array a slice of elements at a time. JSON.parse of a whole list
 * builds every report object at once and keeps all of them alive while each is decoded:
 * for a million reports, hundreds of megabytes that the collector copied and promoted
 * again and again (a third of the load time). Here a scan finds the top-level commas
 * and each slice of `per` elements goes through JSON.parse on its own, so what is decoded
 * dies young.
 *
 * Exactly the documents JSON.parse accepts are accepted: every slice is JSON.parse'd, and
 * a text whose slices all parse, with the counted number of elements, is a valid array.
 */

/** Thrown for any text that is not valid JSON; its message never quotes the text. */
export class InvalidJsonError extends Error {
  constructor() {
    super("not valid JSON");
  }
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Whether `text` (after whitespace) starts a JSON array. */
export function looksLikeJsonArray(text: string): boolean {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return text.charCodeAt(i) === OPEN_ARRAY;
}

/**
 * The elements of the JSON array `text`, parsed `per` at a time. Throws InvalidJsonError
 * (possibly after some slices were yielded) when `text` is not a valid JSON array.
 */
export function* jsonArraySlices(text: string, per: number): Generator<unknown[], void> {
  const n = text.length;
  let i = 0;
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== OPEN_ARRAY) throw new InvalidJsonError();
  let start = ++i; // first character of the current slice
  let depth = 0; // nesting inside the current element
  let commas = 0; // top-level commas in the current slice
  let anyComma = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth > 0) {
        depth--;
        continue;
      }
      if (c !== CLOSE_ARRAY) throw new InvalidJsonError();
      for (let j = i + 1; j < n; j++)
        if (!isSpace(text.charCodeAt(j))) throw new InvalidJsonError();
      const empty = !anyComma && text.slice(start, i).trim() === "";
      if (!empty) yield parseSlice(text, start, i, commas + 1);
      return;
    } else if (c === COMMA && depth === 0) {
      anyComma = true;
      if (++commas === per) {
        yield parseSlice(text, start, i, per);
        start = i + 1;
        commas = 0;
      }
    }
  }
  throw new InvalidJsonError(); // the array never closed
}

function parseSlice(text: string, from: number, to: number, expected: number): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(`[${text.slice(from, to)}]`);
  } catch {
    throw new InvalidJsonError(); // the parser's message may quote the text
  }
  // An empty element at a slice's edge ("[1,,2]") parses as a shorter array.
  if (!Array.isArray(parsed) || parsed.length !== expected) throw new InvalidJsonError();
  return parsed;
}
