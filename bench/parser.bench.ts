/**
 * Front-end throughput: lex + parse + AST (with comment attachment) on a ~1 MB input made by
 * concatenating the corpus agents, median of repeated runs, one parser instance reused; and the
 * worst time over hostile 1 MB inputs (runs of junk that exercise error recovery, issue 11 item
 * 16), where the parser must stay linear and stop early.
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

  // Hostile input: 1 MB runs of one kind of junk each (error recovery at scale).
  const hostile: Record<string, string> = {
    "`}`": "}".repeat(1_000_000),
    "`(`": "agent a { with { let x = " + "(".repeat(999_970),
    "`if x `": "agent a { with { " + "if x ".repeat(200_000) + "} }",
    "`let x = 1 ` without `;`": "agent a { with { " + "let x = 1 ".repeat(100_000) + "} }",
    "`allow ` in a policy": "policy p { " + "allow ".repeat(166_000) + "}",
    "`a ` in a struct type": "type S = { " + "a ".repeat(500_000) + "}",
    "`,` in a call": "agent a { with { f(" + ",".repeat(999_950) + "); } }",
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
