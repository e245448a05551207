/**
 * `[output]`: format, envelope and the JSON Schema of the parsed result.
 */
import { OUTPUT_FORMATS, type OutputFormat, type OutputSpec } from "./model.js";
import { ContractReader, type TomlTable } from "./reader.js";
import { closestName as closest } from "../../grammar/suggest.js";
import { checkOutputSchema } from "./json-schema.js";

const OUTPUT_KEYS = ["format", "parser", "envelope", "schema"];

function isFormat(s: string): s is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(s);
}

export function readOutput(r: ContractReader, doc: TomlTable): OutputSpec {
  const spec: OutputSpec = { format: "text", envelope: true };
  const out = r.table(doc, "output", []);
  if (!out) {
    if (doc.output === undefined)
      r.atKey(
        "W0508",
        "the contract has no `[output]` section, so no output schema",
        ["tool"],
        "add [output] with format and [output.schema]",
      );
    return spec;
  }
  r.unknownKeys(out, OUTPUT_KEYS, ["output"], "[output]");

  const format = r.string(out, "format", ["output"]);
  if (format !== undefined) {
    if (isFormat(format)) spec.format = format;
    else {
      const s = closest(format, OUTPUT_FORMATS);
      r.atValue(
        "E0518",
        `unknown output format \`${format}\``,
        ["output", "format"],
        s ? `did you mean \`${s}\`?` : `formats: ${OUTPUT_FORMATS.join(", ")}`,
      );
    }
  }

  const parser = r.string(out, "parser", ["output"]);
  if (parser !== undefined) {
    const builtin = /^builtin:(.*)$/.exec(parser);
    if (!builtin) {
      r.atValue(
        "W0504",
        `custom output parsers (\`${parser}\`) are not supported; the output is parsed as \`${spec.format}\``,
        ["output", "parser"],
      );
    } else if (!isFormat(builtin[1]!)) {
      r.atValue(
        "E0518",
        `unknown built-in parser \`${parser}\``,
        ["output", "parser"],
        `parsers: ${OUTPUT_FORMATS.map((f) => `builtin:${f}`).join(", ")}`,
      );
    } else if (format === undefined) {
      spec.format = builtin[1] as OutputFormat;
    } else if (builtin[1] !== format) {
      r.atValue("W0505", `parser \`${parser}\` has no effect: \`format = "${format}"\` decides how output is parsed`, [
        "output",
        "parser",
      ]);
    }
  }

  const envelope = r.boolean(out, "envelope", ["output"]);
  if (envelope !== undefined) spec.envelope = envelope;

  const table = r.table(out, "schema", ["output"]);
  if (table) {
    // smol-toml builds null-prototype objects (and dates): keep plain JSON in the model.
    const schema = JSON.parse(JSON.stringify(table)) as Record<string, unknown>;
    if (checkOutputSchema(r, schema, ["output", "schema"])) spec.schema = schema;
  } else if (out.schema === undefined) {
    r.atKey(
      "W0508",
      "no `[output.schema]`: the tool's result has no declared shape",
      ["output"],
      'add [output.schema] with type = "object" and its properties',
    );
  }
  return spec;
}
