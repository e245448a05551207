/**
 * Front-end throughput: lex + parse + AST (with comment attachment) on a ~1 MB input made by
 * concatenating the corpus agents, median of repeated runs, one parser instance reused; and the
 * worst time over hostile 1 MB inputs (runs of junk that exercise error recovery, issue 11 item
 * 16), where the parser must stay linear and stop early; and, where it can be built, the
 * reference's tree-sitter parser on the same megabyte, interleaved with ours (bench/README.md).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseText } from "../grammar/index.js";
import { lex } from "../grammar/lexer.js";
import { timeSync, report, stats } from "./harness.js";
import { corpusAgentTexts } from "./corpus.js";
import { buildReferenceParser } from "./reference-parser.js";

export function corpusMegabyte(): string {
  const sources = corpusAgentTexts();
  let out = "";
  while (out.length < 1_000_000) for (const s of sources) out += s + "\n";
  // Flatten the rope built by `+=` so the input is laid out like a file read from disk.
  return Buffer.from(out, "utf8").toString("utf8");
}

export async function run(): Promise<void> {
  const input = corpusMegabyte();
  const mb = Buffer.byteLength(input) / 1_000_000;
  const r0 = parseText(input, "bench.symbi");
  if (r0.diagnostics.length > 0) throw new Error(`bench input has ${r0.diagnostics.length} diagnostics`);
  const lexOnly = timeSync(() => void lex(input, "bench.symbi"), 15, 3, { cpu: true });
  const full = timeSync(() => void parseText(input, "bench.symbi"), 21, 5, { cpu: true });
  const wall = timeSync(() => void parseText(input, "bench.symbi"), 11, 2);
  report(
    "lex only (CPU time)",
    mb / (lexOnly.median / 1000),
    "MB/s",
    undefined,
    `(${mb.toFixed(2)} MB, median of ${lexOnly.runs})`,
  );
  report(
    "lex+parse+AST (CPU time, one core)",
    mb / (full.median / 1000),
    "MB/s",
    { value: 15, higherIsBetter: true },
    `(median ${full.median.toFixed(1)} ms, p95 ${full.p95.toFixed(1)} ms)`,
  );
  report(
    "lex+parse+AST (wall clock)",
    mb / (wall.median / 1000),
    "MB/s",
    undefined,
    `(median ${wall.median.toFixed(1)} ms; affected by machine load)`,
  );

  compareWithReference(input, mb);

  // Hostile input: 1 MB runs of one kind of junk each (error recovery at scale).
  const hostile: Record<string, string> = {
    "`}`": "}".repeat(1_000_000),
    "`(`": "agent a { with { let x = " + "(".repeat(999_970),
    "`if x `": "agent a { with { " + "if x ".repeat(200_000) + "} }",
    "`let x = 1 ` without `;`": "agent a { with { " + "let x = 1 ".repeat(100_000) + "} }",
    "`allow ` in a policy": "policy p { " + "allow ".repeat(166_000) + "}",
    "`a ` in a struct type": "type S = { " + "a ".repeat(500_000) + "}",
    "`,` in a call": "agent a { with { f(" + ",".repeat(999_950) + "); } }",
    // 32,768 distinct words with one hash (scanner.ts, the word table's probe bound).
    "words that share a hash": collidingWords(15).join(" "),
  };
  let worst = { name: "", ms: 0, diagnostics: 0 };
  for (const [name, text] of Object.entries(hostile)) {
    const t = timeSync(() => void parseText(text, "hostile.symbi"), 5, 1, { cpu: true });
    const diagnostics = parseText(text, "hostile.symbi").diagnostics.length;
    if (t.median > worst.ms) worst = { name, ms: t.median, diagnostics };
  }
  report(
    "hostile 1 MB input, slowest kind (CPU time)",
    worst.ms,
    "ms",
    { value: 500, higherIsBetter: false },
    `(${worst.name}: ${worst.diagnostics} diagnostics reported)`,
  );
}

/**
 * 2^blocks distinct words of one length with the same scanner hash (h * 31 + c): "Aa" and "BB"
 * hash alike, and so does every sequence of them.
 */
function collidingWords(blocks: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < 1 << blocks; i++) {
    let w = "x";
    for (let b = 0; b < blocks; b++) w += (i >> b) & 1 ? "Aa" : "BB";
    out.push(w);
  }
  return out;
}

/**
 * Ours against the reference's tree-sitter parser on the same megabyte, CPU time: rounds that
 * alternate a few runs of each, so both see the same machine load; medians over all rounds.
 */
function compareWithReference(input: string, mb: number): void {
  const reference = buildReferenceParser();
  if ("unavailable" in reference) {
    console.log(`lex+parse+AST against the reference parser: skipped (${reference.unavailable})`);
    return;
  }
  const file = join(mkdtempSync(join(tmpdir(), "symbi-bench-parser-")), "corpus.symbi");
  writeFileSync(file, input);
  const theirs: number[] = [];
  const ours: number[] = [];
  for (let round = 0; round < 9; round++) {
    theirs.push(...reference.cpuMs(file, 3, 1));
    for (let i = 0; i < 4; i++) {
      const c0 = process.cpuUsage();
      parseText(input, "bench.symbi");
      const c = process.cpuUsage(c0);
      if (i > 0) ours.push((c.user + c.system) / 1000);
    }
  }
  const t = stats(theirs);
  const o = stats(ours);
  report(
    "  reference tree-sitter parser, same input (CPU time)",
    mb / (t.median / 1000),
    "MB/s",
    undefined,
    `(median ${t.median.toFixed(1)} ms, min ${t.min.toFixed(1)}; ${reference.description})`,
  );
  report(
    "lex+parse+AST speed relative to the reference parser (CPU time, interleaved)",
    t.median / o.median,
    "×",
    { value: 1, higherIsBetter: true },
    `(ours median ${o.median.toFixed(1)} ms, min ${o.min.toFixed(1)}; ${t.runs} + ${o.runs} runs in 9 alternating rounds)`,
  );
}
