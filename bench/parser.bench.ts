/**
 * Front-end throughput: lex + parse + AST (with comment attachment) on a ~1 MB input made by
 * concatenating the corpus agents, median of repeated runs, one parser instance reused.
 */
import { parseText } from "../grammar/index.js";
import { lex } from "../grammar/lexer.js";
import { timeSync, report } from "./harness.js";
import { corpusAgentTexts } from "./corpus.js";

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
    `(median ${full.median.toFixed(1)} ms, p95 ${full.p95.toFixed(1)} ms; tree-sitter reference ≈ 10 MB/s)`,
  );
  report(
    "lex+parse+AST (wall clock)",
    mb / (wall.median / 1000),
    "MB/s",
    undefined,
    `(median ${wall.median.toFixed(1)} ms; affected by machine load)`,
  );
}
