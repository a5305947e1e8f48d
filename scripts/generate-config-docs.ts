// Regenerates docs/config.md and config.example.yaml from the config schema.
import { writeFileSync } from "node:fs";
import { configExampleYaml, configMarkdown } from "../src/config/docs.js";

writeFileSync(new URL("../docs/config.md", import.meta.url), configMarkdown());
writeFileSync(new URL("../config.example.yaml", import.meta.url), configExampleYaml());
console.error("wrote docs/config.md and config.example.yaml");
