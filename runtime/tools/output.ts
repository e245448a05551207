/**
 * Tool output → the value a call returns. Parses stdout per `[output] format`, validates the
 * result against `[output.schema]` (violations are warnings, as in ToolClad: the data still
 * reaches the agent, flagged), and wraps it in the evidence envelope when `envelope = true`.
 *
 * Formats (the reference executor's shapes):
 * - json  → the parsed document;
 * - jsonl → an array, one element per non-blank line;
 * - csv   → an array of objects keyed by the header row (RFC 4180 via csv-parse; delimiter
 *           detected from the header: tab, `|` when no comma, else comma; integers, floats and
 *           true/false converted);
 * - xml   → an object (fast-xml-parser; attributes as `@name`, repeated elements as arrays);
 * - text  → `{ raw_output: stdout }`.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { XMLParser } from "fast-xml-parser";
import type { OutputFormat, ToolContract } from "../../compiler/contracts/model.js";
import { schemaValidator, formatSchemaErrors } from "../../compiler/contracts/json-schema.js";

// The CSV and XML parsers are loaded the first time a tool's output needs them (CommonJS builds,
// synchronously): a run whose tools print text or JSON loads neither.
const require = createRequire(import.meta.url);
const parseCsv: typeof import("csv-parse/sync").parse = (...args: Parameters<typeof import("csv-parse/sync").parse>) =>
  (require("csv-parse/sync") as typeof import("csv-parse/sync")).parse(...args);
let xml: { parser: XMLParser; validate: typeof import("fast-xml-parser").XMLValidator.validate } | undefined;
function xmlTools(): NonNullable<typeof xml> {
  if (!xml) {
    const fxp = require("fast-xml-parser") as typeof import("fast-xml-parser");
    xml = {
      parser: new fxp.XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: "@",
        ignoreDeclaration: true,
        ignorePiTags: true,
      }),
      validate: (text, options) => fxp.XMLValidator.validate(text, options),
    };
  }
  return xml;
}

/** Output larger than this is refused rather than parsed (the sandbox driver caps it earlier). */
export const MAX_OUTPUT_CHARS = 16 * 1024 * 1024;

export interface ToolRunInfo {
  argv: string[];
  exitCode: number;
  durationMs: number;
  stderr?: string;
}

export interface ToolEnvelope {
  status: "success" | "error";
  tool: string;
  argv: string[];
  duration_ms: number;
  exit_code: number;
  /** `sha256:<hex>` of the raw output. */
  output_hash: string;
  results: unknown;
  schema_warnings: string[];
  error?: string;
}

export interface ToolOutputResult {
  /** Parsed without error (and, when run info is given, exit code 0). */
  ok: boolean;
  results: unknown;
  schemaWarnings: string[];
  error?: string;
  envelope?: ToolEnvelope;
  /** What the agent receives: the envelope when the contract asks for one, else the results. */
  value: unknown;
}

type Parsed = { ok: true; results: unknown } | { ok: false; error: string };

function inferScalar(v: string): string | number | boolean {
  const t = v.trim();
  if (/^-?\d{1,15}$/.test(t)) return Number(t);
  if (/^-?\d+\.\d+$/.test(t) && Number.isFinite(Number(t))) return Number(t);
  if (t === "true" || t === "false") return t === "true";
  return v;
}

function parseCsvText(text: string): Parsed {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? "";
  const delimiter = firstLine.includes("\t") ? "\t" : firstLine.includes("|") && !firstLine.includes(",") ? "|" : ",";
  try {
    const rows = parseCsv(text, {
      columns: (header: string[]) => header.map((h) => h.trim()),
      delimiter,
      skip_empty_lines: true,
      relax_column_count: true,
      bom: true,
      cast: (value: string, ctx: { header: boolean }) => (ctx.header ? value : inferScalar(value)),
    }) as unknown[];
    return { ok: true, results: rows };
  } catch (e) {
    return { ok: false, error: `invalid CSV output: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function parseXmlText(text: string): Parsed {
  if (text.trim() === "") return { ok: false, error: "the tool printed no XML" };
  const valid = xmlTools().validate(text);
  if (valid !== true) return { ok: false, error: `invalid XML output (line ${valid.err.line}): ${valid.err.msg}` };
  try {
    return { ok: true, results: xmlTools().parser.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: `invalid XML output: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function parseByFormat(format: OutputFormat, text: string): Parsed {
  switch (format) {
    case "text":
      return { ok: true, results: { raw_output: text } };
    case "json":
      if (text.trim() === "") return { ok: false, error: "the tool printed no JSON" };
      try {
        return { ok: true, results: JSON.parse(text) as unknown };
      } catch (e) {
        return { ok: false, error: `invalid JSON output: ${e instanceof Error ? e.message : String(e)}` };
      }
    case "jsonl": {
      const out: unknown[] = [];
      const lines = text.split(/\r?\n/);
      for (let i = 0; i < lines.length; i++) {
        if (lines[i]!.trim() === "") continue;
        try {
          out.push(JSON.parse(lines[i]!));
        } catch (e) {
          return {
            ok: false,
            error: `invalid JSON on output line ${i + 1}: ${e instanceof Error ? e.message : String(e)}`,
          };
        }
      }
      return { ok: true, results: out };
    }
    case "csv":
      return parseCsvText(text);
    case "xml":
      return parseXmlText(text);
  }
}

/**
 * Compiles the contract's output schema now, so that checking the output later finds it compiled
 * (the runtime calls this while the tool runs: compiling, with loading ajv, took ~14 ms of a
 * `symbi exec`). A schema that does not compile is reported by schemaWarnings.
 */
export function prepareOutputSchema(contract: ToolContract): void {
  if (contract.output.schema) schemaValidator(contract.output.schema);
}

/** Schema violations of a parsed result, as warnings (none when the contract declares no schema). */
export function schemaWarnings(contract: ToolContract, results: unknown): string[] {
  const schema = contract.output.schema;
  if (!schema) return [];
  const validate = schemaValidator(schema);
  if (validate instanceof Error) return [`output schema cannot be compiled: ${validate.message}`];
  return validate(results) ? [] : formatSchemaErrors(validate.errors);
}

export function outputHash(text: string): string {
  return `sha256:${createHash("sha256").update(text, "utf8").digest("hex")}`;
}

/**
 * Parses a tool's output. Pass `run` (argv, exit code, duration) to get the evidence envelope;
 * a non-zero exit code makes the call an error whose results are the raw output.
 */
export function parseToolOutput(contract: ToolContract, stdout: string, run?: ToolRunInfo): ToolOutputResult {
  let results: unknown;
  let warnings: string[] = [];
  let error: string | undefined;

  if (stdout.length > MAX_OUTPUT_CHARS) {
    error = `the tool's output exceeds ${MAX_OUTPUT_CHARS} characters`;
    results = { raw_output: stdout.slice(0, 4096) };
  } else if (run && run.exitCode !== 0) {
    const tail = (run.stderr ?? "").trim().split("\n").slice(-5).join("\n");
    error = `\`${contract.binary}\` exited with code ${run.exitCode}${tail ? `: ${tail}` : ""}`;
    results = { raw_output: stdout };
  } else {
    const parsed = parseByFormat(contract.output.format, stdout);
    if (parsed.ok) {
      results = parsed.results;
      warnings = schemaWarnings(contract, results);
    } else {
      error = parsed.error;
      results = { raw_output: stdout };
    }
  }

  const out: ToolOutputResult = { ok: error === undefined, results, schemaWarnings: warnings, value: results };
  if (error !== undefined) out.error = error;
  if (contract.output.envelope && run) {
    const envelope: ToolEnvelope = {
      status: error === undefined ? "success" : "error",
      tool: contract.name,
      argv: [...run.argv],
      duration_ms: Math.max(0, Math.round(run.durationMs)),
      exit_code: run.exitCode,
      output_hash: outputHash(stdout),
      results,
      schema_warnings: warnings,
    };
    if (error !== undefined) envelope.error = error;
    out.envelope = envelope;
    out.value = envelope;
  }
  return out;
}
