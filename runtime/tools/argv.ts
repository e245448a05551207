/**
 * Builds the argv of a tool call from its contract and validated arguments — never a shell
 * string. The template is split into words first and placeholders are filled inside each word,
 * so one value always stays one argv entry, whatever it contains.
 *
 * - argv[0] is `[tool] binary` (the template's first word must name it; the loader checks).
 * - A word whose placeholders all come out empty is dropped (an unset optional argument leaves no
 *   empty argv entry); a literally empty word (`''`) is kept.
 * - Fragment placeholders standing alone as a word (`{_scan_flags}`, `{_header_flags}`,
 *   `{_conditional_flags}`, see compiler/contracts/fragments.ts) expand to the words of the
 *   mapped flag text or of the conditional templates whose `when` holds; inside those fragments,
 *   placeholders are filled per word as well.
 * - `{_scan_id}`, `{_evidence_dir}` and `{_output_file}` are provided by the runtime (options).
 * - Option positions: a word whose text begins with a placeholder's value is where the tool reads
 *   options, so that value must not make the word start with `-` unless the contract wrote the
 *   `-` itself (an enum value, the argument's own default, a `[command.defaults]` key, a mapping
 *   or conditional fragment, a runtime variable). This checks the word as one value, after
 *   filling: glued placeholders (`{prefix}{name}` with `prefix` empty and `name = "-rf"`) and
 *   numbers (`kill {pid}` with `-1`) are caught like a lone `{name}`. A number may start with
 *   `-` there only when its argument allows negatives explicitly (`min` below zero).
 */
import { randomBytes } from "node:crypto";
import type { ArgSpec, ConditionalSpec, ToolContract } from "../../compiler/contracts/model.js";
import {
  tokenizeTemplate,
  parseExecElement,
  standalonePlaceholder,
  type TemplateWord,
} from "../../compiler/contracts/template.js";
import { fragmentTable, type FragmentRef } from "../../compiler/contracts/fragments.js";
import { evaluateWhen } from "../../compiler/contracts/when.js";
import type { ValidatedArgs } from "./validate.js";

export class ToolArgvError extends Error {
  override readonly name = "ToolArgvError";
}

export interface ArgvOptions {
  /** Identifier of this invocation (default: `<unix seconds>-<random hex>`). */
  scanId?: string;
  /** Where evidence files go inside the sandbox (default `/tmp/evidence`). */
  evidenceDir?: string;
  /** The file `{_output_file}` names (default `<evidenceDir>/<scanId>-output`). */
  outputFile?: string;
}

export interface BuiltCommand {
  argv: string[];
  scanId: string;
  /** Set when the template writes to `{_output_file}`: the runtime collects the tool's output there. */
  outputFile?: string;
}

function wordsOrThrow(text: string, what: string): TemplateWord[] {
  const r = tokenizeTemplate(text);
  if (!r.ok) throw new ToolArgvError(`${what} does not tokenize: ${r.error.message}`);
  return r.words;
}

export function buildCommand(contract: ToolContract, args: ValidatedArgs, options: ArgvOptions = {}): BuiltCommand {
  if (!contract.valid)
    throw new ToolArgvError(`the contract of \`${contract.name}\` has errors; the tool cannot be called`);
  if (contract.mode !== "oneshot")
    throw new ToolArgvError(`\`${contract.name}\` uses ${contract.mode} mode, which this runtime does not run`);

  const scanId = options.scanId ?? `${Math.floor(Date.now() / 1000)}-${randomBytes(4).toString("hex")}`;
  const evidenceDir = options.evidenceDir ?? "/tmp/evidence";
  const outputFile = options.outputFile ?? `${evidenceDir}/${scanId}-output`;
  const runtimeVars: Record<string, string> = {
    _scan_id: scanId,
    _evidence_dir: evidenceDir,
    _output_file: outputFile,
  };
  let usesOutputFile = false;

  const valueOf = (name: string): string => {
    if (Object.prototype.hasOwnProperty.call(args, name)) return String(args[name]);
    if (Object.prototype.hasOwnProperty.call(contract.command.defaults, name))
      return String(contract.command.defaults[name]);
    if (Object.prototype.hasOwnProperty.call(runtimeVars, name)) {
      if (name === "_output_file") usesOutputFile = true;
      return runtimeVars[name]!;
    }
    return "";
  };

  const specByName = new Map(contract.args.map((a) => [a.name, a]));

  /**
   * Fills a word's placeholders; undefined when the word should be dropped. Fragments expand
   * only in the main template, never inside another fragment (no recursion).
   */
  const fill = (w: TemplateWord, inFragment = false): string | undefined => {
    let out = "";
    let hasPlaceholder = false;
    /** The placeholder whose value gives the word its first character (undefined: literal text or a fragment). */
    let leading: string | undefined;
    for (const p of w.parts) {
      if (p.kind === "text") out += p.text;
      else {
        hasPlaceholder = true;
        const ref = inFragment ? undefined : fragments.get(p.name);
        const piece = ref ? fragmentText(ref) : valueOf(p.name);
        if (out === "" && piece !== "" && !ref) leading = p.name;
        out += piece;
      }
    }
    if (leading !== undefined && out.startsWith("-") && !contractOwnsLeadingDash(leading, out)) {
      throw new ToolArgvError(
        `\`${leading}\` would start an argv word with \`-\` (${JSON.stringify(out.slice(0, 40))}), where ${contract.binary} reads options`,
      );
    }
    return out === "" && hasPlaceholder ? undefined : out;
  };

  /** The `-` at the start of a word filled from `name` was written by the contract, not the caller. */
  const contractOwnsLeadingDash = (name: string, word: string): boolean => {
    const spec: ArgSpec | undefined = specByName.get(name);
    if (!spec) return true; // [command.defaults] keys and runtime variables: the contract's own text
    if (spec.baseType === "enum") return true;
    if (spec.default !== undefined && String(args[name]) === String(spec.default)) return true;
    const numeric = spec.baseType === "integer" || spec.baseType === "number";
    return numeric && spec.min !== undefined && spec.min < 0 && typeof args[name] === "number" && /^-\d/.test(word);
  };

  const fillFragment = (words: readonly TemplateWord[]): string[] =>
    words.flatMap((w) => {
      const v = fill(w, true);
      return v === undefined ? [] : [v];
    });

  const fragments = fragmentTable(contract.command);
  let words: TemplateWord[];
  if (contract.command.exec) {
    words = contract.command.exec.map((el) => {
      const r = parseExecElement(el);
      if (!r.ok) throw new ToolArgvError(`exec element does not parse: ${r.error.message}`);
      return r.word;
    });
  } else if (contract.command.template !== undefined) {
    words = wordsOrThrow(contract.command.template, "the command template");
  } else {
    throw new ToolArgvError(`\`${contract.name}\` has no command template`);
  }
  if (words.length === 0) throw new ToolArgvError("the command template is empty");

  const placedByName = new Set(words.map(standalonePlaceholder).filter((n): n is string => n !== undefined));
  const conditionalWords = (c: ConditionalSpec): string[] =>
    evaluateWhen(c.whenExpr, valueOf)
      ? fillFragment(wordsOrThrow(c.template, `the template of conditional \`${c.name}\``))
      : [];

  const fragmentWords = (ref: FragmentRef): string[] => {
    switch (ref.kind) {
      case "mapping": {
        const table = contract.command.mappings[ref.arg] ?? {};
        const key = valueOf(ref.arg);
        const flags = Object.prototype.hasOwnProperty.call(table, key) ? table[key]! : "";
        return fillFragment(wordsOrThrow(flags, `the mapping for \`${ref.arg}\``));
      }
      case "conditional": {
        const c = contract.command.conditionals.find((x) => x.name === ref.name);
        return c ? conditionalWords(c) : [];
      }
      case "remaining-conditionals":
        return contract.command.conditionals.filter((c) => !placedByName.has(`_${c.name}`)).flatMap(conditionalWords);
    }
  };
  // A fragment glued to other text in one word contributes its words joined by spaces.
  const fragmentText = (ref: FragmentRef): string => fragmentWords(ref).join(" ");

  const argv: string[] = [contract.binary];
  for (const w of words.slice(1)) {
    const name = standalonePlaceholder(w);
    const ref = name !== undefined ? fragments.get(name) : undefined;
    if (ref) argv.push(...fragmentWords(ref));
    else {
      const v = fill(w);
      if (v !== undefined) argv.push(v);
    }
  }
  // execve cannot carry NUL; validation rejects it already — this is the last line of defence.
  if (argv.some((a) => a.includes("\0"))) throw new ToolArgvError("an argv entry contains NUL");
  if (argv[0] === "") throw new ToolArgvError(`\`${contract.name}\` has no binary`);

  const built: BuiltCommand = { argv, scanId };
  if (usesOutputFile) built.outputFile = outputFile;
  return built;
}

/** The argv of a call (argv[0] is the binary). See buildCommand for the output file and scan id. */
export function buildArgv(contract: ToolContract, validatedArgs: ValidatedArgs, options: ArgvOptions = {}): string[] {
  return buildCommand(contract, validatedArgs, options).argv;
}
