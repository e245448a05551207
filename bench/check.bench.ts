/**
 * Checker throughput and edit latency.
 * - full check: parse + declarations + names + types + policies of a ~1 MB project made of the
 *   corpus agents (each copy renamed so every body is checked), with the reference agents' tool
 *   contracts, types and helper functions; a fresh Project per run. Target ≥ 5 MB/s.
 * - edit latency: one 5,000-line file in a project; change one line in a body, then setFile +
 *   check (re-parse and re-check of that file only). Target ≤ 50 ms — what the language server
 *   pays per keystroke batch.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Project } from "../compiler/check/index.js";
import { buildGlobalEnv } from "../compiler/check/globals.js";
import { checkItem } from "../compiler/check/file-checker.js";
import { loadContracts } from "../compiler/contracts/index.js";
import { parseText } from "../grammar/index.js";
import { corpusMegabyte } from "./parser.bench.js";
import { timeSync, report } from "./harness.js";
import { referenceProjectDir } from "./corpus.js";

const EXAMPLE = referenceProjectDir();

/** Renames every `agent NAME` so that copies do not collide (duplicates are not checked twice). */
function uniqueAgents(text: string): string {
  let n = 0;
  return text.replace(/^agent (\w+)/gm, (_m, name: string) => `agent ${name}_${n++}`);
}

function supportFiles(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const sub of ["types", "lib"])
    for (const f of readdirSync(join(EXAMPLE, sub)).sort())
      out.push([join(EXAMPLE, sub, f), readFileSync(join(EXAMPLE, sub, f), "utf8")]);
  return out;
}

function newProject(recordSymbols = true): Project {
  const p = new Project(EXAMPLE, { recordSymbols });
  for (const [f, t] of supportFiles()) p.setFile(f, t);
  return p;
}

export async function run(): Promise<void> {
  // Full check of ~1 MB, split into files of ~60 KB like a real project.
  const mbText = uniqueAgents(corpusMegabyte());
  const chunks: string[] = [];
  const parts = mbText.split(/\n(?=\/\/ See the Symbiont DSL guide)/);
  let cur = "";
  for (const part of parts) {
    cur += part + "\n";
    if (cur.length > 60_000) {
      chunks.push(cur);
      cur = "";
    }
  }
  if (cur) chunks.push(cur);
  const bytes = chunks.reduce((n, c) => n + Buffer.byteLength(c), 0);
  const mb = bytes / 1_000_000;
  let errors = 0;
  const fullCheck = (recordSymbols: boolean) => () => {
    const p = newProject(recordSymbols);
    chunks.forEach((c, i) => p.setFile(join(EXAMPLE, `bench/chunk${i}.symbi`), c));
    errors = p.check().diagnostics.filter((d) => d.severity === "error").length;
  };
  const cli = timeSync(fullCheck(false), 21, 6, { cpu: true });
  report(
    "full check, CLI (parse+resolve+types+policies, CPU time)",
    mb / (cli.median / 1000),
    "MB/s",
    { value: 5, higherIsBetter: true },
    `(${mb.toFixed(2)} MB in ${chunks.length} files, median ${cli.median.toFixed(0)} ms, p95 ${cli.p95.toFixed(0)} ms; ${errors} errors: the corpus's genuine ones, repeated)`,
  );
  const lsp = timeSync(fullCheck(true), 9, 2, { cpu: true });
  report(
    "full check, with symbol table and types (language server, CPU time)",
    mb / (lsp.median / 1000),
    "MB/s",
    undefined,
    `(median ${lsp.median.toFixed(0)} ms)`,
  );
  // Where the time goes: parsing (grammar/) versus the checker's own passes on parsed files.
  const parsed = chunks.map((c, i) => ({
    file: `chunk${i}.symbi`,
    text: c,
    program: parseText(c, `chunk${i}.symbi`).program,
  }));
  const support = supportFiles().map(([f, t]) => ({ file: f, text: t, program: parseText(t, f).program }));
  const contracts = loadContracts(EXAMPLE).contracts;
  const parseOnly = timeSync(() => chunks.forEach((c, i) => void parseText(c, `chunk${i}.symbi`)), 15, 3, {
    cpu: true,
  });
  const checkOnly = timeSync(
    () => {
      const units = [...support, ...parsed];
      const env = buildGlobalEnv(units, contracts, "bench");
      for (const u of units) for (const item of u.program.items) checkItem(item, u.file, env, false);
    },
    15,
    3,
    { cpu: true },
  );
  report(
    "  of which parsing (grammar/)",
    parseOnly.median,
    "ms",
    undefined,
    `(${(mb / (parseOnly.median / 1000)).toFixed(1)} MB/s)`,
  );
  report(
    "  of which checking parsed files (declarations, names, types, policies)",
    checkOnly.median,
    "ms",
    undefined,
    `(${(mb / (checkOnly.median / 1000)).toFixed(1)} MB/s; the rest is loading 48 tool contracts and sorting diagnostics)`,
  );
  const wall = timeSync(fullCheck(false), 7, 1);
  report(
    "full check, CLI (wall clock)",
    mb / (wall.median / 1000),
    "MB/s",
    undefined,
    `(median ${wall.median.toFixed(0)} ms; affected by machine load)`,
  );

  // Edit latency on a 5,000-line file.
  let big = "";
  let k = 0;
  while (big.split("\n").length < 5000)
    big += uniqueAgents(corpusMegabyte().slice(0, 20_000)).replace(
      /^agent (\w+)/gm,
      (_m, n: string) => `agent ${n}_e${k++}`,
    );
  const lines = big.split("\n").slice(0, 5000);
  // Cut at an item boundary so the file parses: drop a trailing partial agent.
  const lastAgentEnd = lines.lastIndexOf("}");
  const fileLines = lines.slice(0, lastAgentEnd + 1);
  const target = fileLines.findIndex((l) => l.includes('log("INFO"'));
  const p = newProject();
  const file = join(EXAMPLE, "bench/big.symbi");
  p.setFile(file, fileLines.join("\n"));
  p.check();
  let i = 0;
  const edit = timeSync(
    () => {
      const copy = [...fileLines];
      copy[target] = copy[target]!.replace('log("INFO"', `log("INFO${i++ % 2 ? "" : "!"}"`);
      p.setFile(file, copy.join("\n"));
      p.check();
    },
    30,
    5,
    { cpu: true },
  );
  report(
    "edit one line of a 5,000-line file, re-check (CPU time)",
    edit.median,
    "ms",
    { value: 50, higherIsBetter: false },
    `(${fileLines.length} lines, ${(Buffer.byteLength(fileLines.join("\n")) / 1000).toFixed(0)} KB; p95 ${edit.p95.toFixed(1)} ms)`,
  );
}
