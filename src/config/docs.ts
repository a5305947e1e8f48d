/**
 * Generates docs/config.md and config.example.yaml from the schema, so the three can never
 * disagree. A test compares the committed files with fresh output.
 */
import { stringify } from "yaml";
import { z } from "zod";
import { configSchema } from "./schema.js";

interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  examples?: unknown[];
}

interface Field {
  path: string;
  type: string;
  default: unknown;
  description: string;
}

function fields(schema: JsonSchema, prefix: string): Field[] {
  const out: Field[] = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const itemProps = child.items?.properties;
    out.push({
      path: child.type === "array" && itemProps ? `${path}[]` : path,
      type: describeType(child),
      default: child.default,
      description: child.description ?? "",
    });
    if (child.type === "object") out.push(...fields(child, path));
    if (itemProps) out.push(...fields(child.items as JsonSchema, `${path}[]`));
  }
  return out;
}

function describeType(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(" \\| ");
  if (s.type === "array") return `list of ${s.items?.type ?? "value"}`;
  return s.type ?? "value";
}

function jsonSchema(): JsonSchema {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

/** The Markdown reference of every config key. */
export function configMarkdown(): string {
  const rows = fields(jsonSchema(), "").map(
    (f) =>
      `| \`${f.path}\` | ${f.type} | ${f.default === undefined ? "" : `\`${JSON.stringify(f.default)}\``} | ${f.description} |`,
  );
  return [
    "# Configuration reference",
    "",
    "Generated from `src/config/schema.ts` by `npm run docs:config`; do not edit by hand.",
    "Unknown keys are rejected. Relative paths are resolved against the config file's folder.",
    "Durations are written like `500ms`, `10s`, `5m`, `24h`, `7d`. Secrets are read from the",
    "files that `*_file` keys name, never written in the config itself.",
    "",
    "| key | type | default | meaning |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}

/** A complete example config: every key with its default and its description as a comment. */
export function configExampleYaml(): string {
  const doc = renderDefaults(jsonSchema());
  return [
    "# Redlight example configuration, generated from src/config/schema.ts (npm run docs:config).",
    "# Every key is shown with its default or an example. See docs/config.md for the meaning of each.",
    stringify(doc, { lineWidth: 100 }).trimEnd(),
    "",
  ].join("\n");
}

function renderDefaults(schema: JsonSchema): unknown {
  if (schema.type === "object" && schema.properties) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(schema.properties)) {
      const value =
        child.type === "object" ? renderDefaults(child) : (child.examples?.[0] ?? child.default);
      if (value !== undefined) out[key] = value;
    }
    return out;
  }
  return schema.default;
}
