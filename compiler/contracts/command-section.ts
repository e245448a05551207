/**
 * `[command]`: the argv template (or `exec` array), `[command.defaults]`, `[command.mappings.*]`
 * and `[command.conditionals.*]`, with every placeholder and condition name checked against the
 * arguments.
 */
import {
  RUNTIME_TEMPLATE_VARS,
  type ArgSpec,
  type CommandSpec,
  type ConditionalSpec,
  type ScalarValue,
} from "./model.js";
import { ContractReader, isTable, tomlTypeName, type TomlTable } from "./reader.js";
import { closestName as closest } from "../../grammar/suggest.js";
import { tokenizeTemplate, parseExecElement, literalWord, type TemplateWord } from "./template.js";
import { parseWhen, whenNames } from "./when.js";
import { fragmentTable, mappingFragmentNames, ALL_CONDITIONALS_PLACEHOLDER } from "./fragments.js";
import { IDENTIFIER } from "./args-section.js";
import type { TomlPath } from "../../formats/toml-locator.js";

const COMMAND_KEYS = ["template", "exec", "executor", "defaults", "mappings", "conditionals"];

function basename(p: string): string {
  const i = Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\"));
  return i >= 0 ? p.slice(i + 1) : p;
}

export function readCommand(
  r: ContractReader,
  doc: TomlTable,
  args: readonly ArgSpec[],
  declared: ReadonlySet<string>,
  binary: string | undefined,
  needsCommand: boolean,
): CommandSpec {
  const spec: CommandSpec = { defaults: {}, mappings: {}, conditionals: [] };
  const cmd = r.table(doc, "command", []);
  if (!cmd) {
    if (needsCommand && doc.command === undefined) {
      r.atKey(
        "E0501",
        "the contract has no `[command]` section",
        ["tool"],
        'add [command] with template = "<binary> {arg} ..."',
      );
    }
    return spec;
  }
  r.unknownKeys(cmd, COMMAND_KEYS, ["command"], "[command]");
  if (cmd.executor !== undefined) {
    r.atKey(
      "W0504",
      "custom executors (`[command] executor`) are not supported",
      ["command", "executor"],
      "describe the command with `template` instead",
    );
  }

  // Defaults: template variables that are not arguments.
  const defaults = r.table(cmd, "defaults", ["command"]) ?? {};
  for (const [k, v] of Object.entries(defaults)) {
    if (typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)))
      spec.defaults[k] = v as ScalarValue;
    else if (typeof v === "bigint") spec.defaults[k] = Number(v);
    else
      r.atValue("E0502", `\`command.defaults.${k}\` must be a string, number or boolean, found ${tomlTypeName(v)}`, [
        "command",
        "defaults",
        k,
      ]);
  }

  const argByName = new Map(args.map((a) => [a.name, a]));
  const valueNames = new Set<string>([...declared, ...Object.keys(spec.defaults)]);
  const fragmentScope = new Set<string>([...valueNames, ...RUNTIME_TEMPLATE_VARS]);

  readMappings(r, cmd, argByName, declared, fragmentScope, spec);
  readConditionals(r, cmd, valueNames, fragmentScope, spec);

  const fragments = fragmentTable(spec);
  const mainScope = new Set<string>([...fragmentScope, ...fragments.keys()]);
  const used = new Set<string>();

  const template = r.string(cmd, "template", ["command"]);
  const exec = r.stringArray(cmd, "exec", ["command"]);
  if (exec !== undefined) {
    spec.exec = exec;
    if (template !== undefined)
      r.atKey("W0505", "`template` has no effect when `exec` is given", ["command", "template"]);
    if (exec.length === 0) r.atValue("E0519", "`exec` must not be empty", ["command", "exec"]);
    exec.forEach((el, i) => {
      const res = parseExecElement(el);
      if (!res.ok) {
        r.report(
          "E0519",
          `invalid exec element: ${res.error.message}`,
          r.loc.inString(["command", "exec", i], res.error.offset),
        );
        return;
      }
      if (i === 0) checkBinary(r, literalWord(res.word), binary, ["command", "exec", 0]);
      checkPlaceholders(r, [res.word], mainScope, ["command", "exec", i], used, "command");
    });
  } else if (template !== undefined) {
    spec.template = template;
    const res = tokenizeTemplate(template);
    if (!res.ok) {
      r.report(
        "E0519",
        `invalid command template: ${res.error.message}`,
        r.loc.inString(["command", "template"], res.error.offset),
      );
    } else if (res.words.length === 0) {
      r.atValue("E0519", "the command template is empty", ["command", "template"]);
    } else {
      checkBinary(r, literalWord(res.words[0]!), binary, ["command", "template"]);
      checkPlaceholders(r, res.words, mainScope, ["command", "template"], used, "command");
    }
  } else if (needsCommand && cmd.template === undefined && cmd.exec === undefined && cmd.executor === undefined) {
    r.atKey("E0501", "`[command]` needs a `template`", ["command"], 'add template = "<binary> {arg} ..."');
  }

  // Mappings and conditionals the template never places change nothing.
  if (spec.template !== undefined || spec.exec !== undefined) {
    for (const arg of Object.keys(spec.mappings)) {
      if (!mappingFragmentNames(arg).some((n) => used.has(n))) {
        r.atKey(
          "W0509",
          `mapping for \`${arg}\` is never used by the template`,
          ["command", "mappings", arg],
          `place it with {${mappingFragmentNames(arg)[0]}}`,
        );
      }
    }
    for (const c of spec.conditionals) {
      if (!used.has(`_${c.name}`) && !used.has(ALL_CONDITIONALS_PLACEHOLDER)) {
        r.atKey(
          "W0509",
          `conditional \`${c.name}\` is never used by the template`,
          ["command", "conditionals", c.name],
          `place it with {_${c.name}}`,
        );
      }
    }
  }
  return spec;
}

function checkBinary(r: ContractReader, first: string | undefined, binary: string | undefined, path: TomlPath): void {
  if (binary === undefined) return;
  if (first === binary || (first !== undefined && first === basename(binary))) return;
  r.atValue(
    "E0524",
    first === undefined
      ? "the command must start with the binary, not a placeholder"
      : `the command starts with \`${first}\`, not the binary \`${binary}\``,
    path,
    `start the template with \`${basename(binary)}\``,
  );
}

function checkPlaceholders(
  r: ContractReader,
  words: readonly TemplateWord[],
  scope: ReadonlySet<string>,
  path: TomlPath,
  used: Set<string> | undefined,
  where: string,
): void {
  for (const w of words) {
    for (const p of w.parts) {
      if (p.kind !== "placeholder") continue;
      used?.add(p.name);
      if (scope.has(p.name)) continue;
      const s = closest(p.name, [...scope]);
      r.report(
        "E0510",
        `unknown placeholder \`{${p.name}}\` in ${where}`,
        r.loc.inString(path, p.offset, p.name.length + 2),
        s
          ? `did you mean \`{${s}}\`?`
          : "placeholders name arguments, [command.defaults] keys, mapping or conditional fragments, or _output_file/_scan_id/_evidence_dir",
      );
    }
  }
}

function readMappings(
  r: ContractReader,
  cmd: TomlTable,
  args: ReadonlyMap<string, ArgSpec>,
  declared: ReadonlySet<string>,
  scope: ReadonlySet<string>,
  spec: CommandSpec,
): void {
  const mappings = r.table(cmd, "mappings", ["command"]) ?? {};
  for (const [argName, table] of Object.entries(mappings)) {
    const path = ["command", "mappings", argName];
    if (!isTable(table)) {
      r.atValue("E0502", `\`command.mappings.${argName}\` must be a table of value = "flags"`, path);
      continue;
    }
    const arg = args.get(argName);
    // A declared argument with a broken declaration was reported already.
    if (!arg && !declared.has(argName)) r.atKey("E0511", `mapping for unknown argument \`${argName}\``, path);
    else if (arg && arg.baseType !== "enum")
      r.atKey(
        "E0511",
        `mapping for \`${argName}\`, which is a \`${arg.type}\`, not an \`enum\``,
        path,
        "mappings translate enum values to flags",
      );
    const out: Record<string, string> = {};
    for (const [value, flags] of Object.entries(table)) {
      if (typeof flags !== "string") {
        r.atValue(
          "E0502",
          `mapping for ${JSON.stringify(value)} must be a string of flags, found ${tomlTypeName(flags)}`,
          [...path, value],
        );
        continue;
      }
      if (arg?.allowed && !arg.allowed.includes(value)) {
        r.atKey(
          "E0512",
          `mapping for ${JSON.stringify(value)}, which is not an allowed value of \`${argName}\``,
          [...path, value],
          `allowed: ${arg.allowed.join(", ")}`,
        );
      }
      const res = tokenizeTemplate(flags);
      if (!res.ok)
        r.report(
          "E0519",
          `invalid mapping text: ${res.error.message}`,
          r.loc.inString([...path, value], res.error.offset),
        );
      else
        checkPlaceholders(r, res.words, scope, [...path, value], undefined, `the mapping for ${JSON.stringify(value)}`);
      out[value] = flags;
    }
    if (arg?.baseType === "enum" && arg.allowed) {
      const missing = arg.allowed.filter((a) => !(a in out));
      if (missing.length > 0) {
        r.atKey(
          "W0507",
          `no mapping for ${missing.map((m) => JSON.stringify(m)).join(", ")} of \`${argName}\``,
          path,
          "add an entry (an empty string adds no flags)",
        );
      }
    }
    spec.mappings[argName] = out;
  }
}

function readConditionals(
  r: ContractReader,
  cmd: TomlTable,
  valueNames: ReadonlySet<string>,
  scope: ReadonlySet<string>,
  spec: CommandSpec,
): void {
  const conditionals = r.table(cmd, "conditionals", ["command"]) ?? {};
  for (const [name, def] of Object.entries(conditionals)) {
    const path = ["command", "conditionals", name];
    if (!isTable(def)) {
      r.atValue("E0502", `\`command.conditionals.${name}\` must be a table { when = "...", template = "..." }`, path);
      continue;
    }
    if (!IDENTIFIER.test(name)) r.atKey("E0503", `conditional name \`${name}\` is not an identifier`, path);
    r.unknownKeys(def, ["when", "template"], path, `conditional \`${name}\``);
    const when = r.string(def, "when", path);
    const template = r.string(def, "template", path);
    if (def.when === undefined) r.atKey("E0501", `conditional \`${name}\` needs a \`when\` condition`, path);
    if (def.template === undefined) r.atKey("E0501", `conditional \`${name}\` needs a \`template\``, path);
    if (when === undefined || template === undefined) continue;

    const parsed = parseWhen(when);
    if (!parsed.ok) {
      r.report(
        "E0513",
        `invalid condition: ${parsed.error.message}`,
        r.loc.inString([...path, "when"], parsed.error.offset),
        "example: when = \"verbose != ''\"",
      );
      continue;
    }
    for (const n of whenNames(parsed.expr)) {
      if (valueNames.has(n)) continue;
      const s = closest(n, [...valueNames]);
      const at = when.search(new RegExp(`\\b${n}\\b`));
      r.report(
        "E0510",
        `unknown name \`${n}\` in the condition of \`${name}\``,
        r.loc.inString([...path, "when"], Math.max(0, at), n.length),
        s ? `did you mean \`${s}\`?` : "conditions read arguments and [command.defaults] keys",
      );
    }
    const res = tokenizeTemplate(template);
    if (!res.ok)
      r.report(
        "E0519",
        `invalid conditional template: ${res.error.message}`,
        r.loc.inString([...path, "template"], res.error.offset),
      );
    else checkPlaceholders(r, res.words, scope, [...path, "template"], undefined, `conditional \`${name}\``);
    const c: ConditionalSpec = { name, when, whenExpr: parsed.expr, template };
    spec.conditionals.push(c);
  }
}
