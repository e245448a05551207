/**
 * JSON Schemas of MCP tools (`inputSchema`, `outputSchema`), compiled with ajv in the dialect
 * the schema names: `$schema` of draft 2020-12 or 2019-09, otherwise draft-07 (what the MCP SDKs
 * generate from their schema libraries). Not strict: a server's schema may carry keywords of its
 * own (`x-…`, `examples`), which describe but do not constrain. The compiler compiles each pinned
 * schema once to refuse one that cannot be used; the runtime validates every call's arguments
 * (and every structured result) with the same compiled validator.
 */
import { createRequire } from "node:module";
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";

// ajv (three dialects) and ajv-formats are loaded (CommonJS, synchronously) when the first MCP
// schema is compiled: checking or running a project without MCP tools loads none of them (they
// were a fifth of a `symbic check`). The language server's bundle still holds them: its esbuild
// plugin bundles these lazy requires (scripts/package-vscode.mjs, bundleLazyRequires).
const require = createRequire(import.meta.url);

type Dialect = "draft-07" | "2019-09" | "2020-12";

const instances = new Map<Dialect, Ajv>();

function ajvFor(dialect: Dialect): Ajv {
  let a = instances.get(dialect);
  if (!a) {
    const options = { strict: false, allErrors: true, addUsedSchema: false, validateSchema: true } as const;
    const { Ajv } = require("ajv") as typeof import("ajv");
    const { Ajv2019 } = require("ajv/dist/2019.js") as typeof import("ajv/dist/2019.js");
    const { Ajv2020 } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
    // ajv-formats is CommonJS with a default export.
    const formats = require("ajv-formats") as { default?: unknown };
    const addFormats = (formats.default ?? formats) as (ajv: Ajv) => Ajv;
    a = dialect === "2020-12" ? new Ajv2020(options) : dialect === "2019-09" ? new Ajv2019(options) : new Ajv(options);
    addFormats(a);
    instances.set(dialect, a);
  }
  return a;
}

function dialectOf(schema: Record<string, unknown>): Dialect {
  const s = schema["$schema"];
  if (typeof s !== "string") return "draft-07";
  if (s.includes("2020-12")) return "2020-12";
  if (s.includes("2019-09")) return "2019-09";
  return "draft-07";
}

const compiled = new Map<string, ValidateFunction | Error>();
const MAX_CACHED = 1000;

/** The compiled validator of an MCP tool schema, or why it cannot be compiled. */
export function mcpSchemaValidator(schema: Record<string, unknown>): ValidateFunction | Error {
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (v) return v;
  try {
    v = ajvFor(dialectOf(schema)).compile(schema);
  } catch (e) {
    v = e instanceof Error ? e : new Error(String(e));
  }
  if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, v);
  return v;
}

/** Readable lines for a failed validation (`/path must be string`), at most `limit`. */
export function schemaErrorLines(errors: readonly ErrorObject[] | null | undefined, limit = 5): string[] {
  const lines = (errors ?? []).map((e) => {
    const where = e.instancePath === "" ? "the arguments" : `\`${e.instancePath.slice(1).replace(/\//g, ".")}\``;
    if (e.keyword === "additionalProperties")
      return `unknown argument \`${String((e.params as { additionalProperty?: unknown }).additionalProperty)}\``;
    if (e.keyword === "required" && e.instancePath === "")
      return `missing argument \`${String((e.params as { missingProperty?: unknown }).missingProperty)}\``;
    return `${where} ${e.message ?? "is invalid"}`;
  });
  const shown = [...new Set(lines)];
  return shown.length > limit ? [...shown.slice(0, limit), `and ${shown.length - limit} more`] : shown;
}
