// Regenerates docs/config.md and config.example.yaml from the config schema.
// With --check, changes nothing and fails when either file is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { configExampleYaml, configMarkdown } from "../src/config/docs.js";

const outputs = [
  { url: new URL("../docs/config.md", import.meta.url), text: configMarkdown() },
  { url: new URL("../config.example.yaml", import.meta.url), text: configExampleYaml() },
];
if (process.argv.includes("--check")) {
  const stale = outputs.filter((o) => readFileSync(o.url, "utf8") !== o.text);
  for (const o of stale) console.error(`stale: ${o.url.pathname}; run npm run docs:config`);
  process.exitCode = stale.length > 0 ? 1 : 0;
} else {
  for (const o of outputs) writeFileSync(o.url, o.text);
  console.error("wrote docs/config.md and config.example.yaml");
}
