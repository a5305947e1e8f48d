/**
 * docs/security.md backs each promise of the guard and the room directory guard with a
 * named test (`file › title`, `…` standing for the rest of a title, or for the file named
 * just before). This test reads that half of the page and fails when a named file or test
 * title does not exist, so a renamed test cannot leave a promise unbacked.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("..", import.meta.url).pathname;
const doc = readFileSync(join(ROOT, "docs/security.md"), "utf8");
const section = doc.slice(
  doc.indexOf("## The guard and the room directory guard"),
  doc.indexOf("## What is not promised"),
);

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : testFiles(path);
    return name.endsWith(".test.ts") ? [path] : [];
  });
}
const files = [...testFiles(join(ROOT, "src")), ...testFiles(join(ROOT, "test"))];

/** Every `file › title` reference, with `…` resolved to the file named before it. */
function references(text = section): { file: string; title: string }[] {
  const out: { file: string; title: string }[] = [];
  for (const line of text.split("\n").filter((l) => l.startsWith("|"))) {
    let previous: string | undefined;
    for (const [, span] of line.matchAll(/`([^`]+)`/g)) {
      const m = /^(\S+\.test\.ts|…) › (.+)$/.exec(span ?? "");
      const bare = /^(\S+\.test\.ts)$/.exec(span ?? "");
      if (bare?.[1] !== undefined) previous = bare[1];
      if (m === null) continue;
      const file = m[1] === "…" ? previous : m[1];
      if (file === undefined) throw new Error(`"${span}" names no file`);
      previous = file;
      out.push({ file, title: m[2] ?? "" });
    }
  }
  return out;
}

describe("docs/security.md, the guard's half", () => {
  const refs = references();

  it("backs promises with tests", () => {
    expect(refs.length).toBeGreaterThan(30);
  });

  it.each(refs.map((r) => [r.file, r.title]))("%s › %s exists", (file, title) => {
    const found = files.filter((f) => f.endsWith(`/${file}`));
    expect(found, `${file} exists`).toHaveLength(1);
    const source = readFileSync(found[0]!, "utf8");
    // The title up to the first ellipsis appears as written in the test file.
    const start = title.split("…")[0]!.trim();
    expect(source.includes(start), `"${start}" in ${file}`).toBe(true);
  });
});

/** The lookup service's half is held to the same rule (its batch check promises above all). */
describe("docs/security.md, the lookup service's half", () => {
  const half = doc.slice(
    doc.indexOf("## The list provider"),
    doc.indexOf("## The guard and the room directory guard"),
  );
  const refs = references(half);

  it("backs the batch check's promises with tests", () => {
    expect(refs.filter((r) => r.file === "lookup-batch-check.test.ts").length).toBeGreaterThan(4);
  });

  it.each(refs.map((r) => [r.file, r.title]))("%s › %s exists", (file, title) => {
    const found = files.filter((f) => f.endsWith(`/${file}`));
    expect(found, `${file} exists`).toHaveLength(1);
    const start = title.split("…")[0]!.trim();
    expect(readFileSync(found[0]!, "utf8").includes(start), `"${start}" in ${file}`).toBe(true);
  });
});
