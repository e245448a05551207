/**
 * Formatter throughput on the ~1 MB corpus input (bench/parser.bench.ts `corpusMegabyte()`), through
 * prettier with our plugin exactly as `symbic fmt` and editors run it. Three figures:
 * - format: prettier.format with the plugin (parse + comment attachment + doc + doc printing);
 * - format + self-check: what `symbic fmt` does per file (re-parse and compare the trees);
 * - per-file: the 15 corpus agents formatted one by one (fixed per-call overhead included).
 */
import { formatText } from "../compiler/format/format.js";
import { corpusMegabyte } from "./parser.bench.js";
import { timeAsync, report } from "./harness.js";
import { corpusAgentTexts } from "./corpus.js";

const corpusAgents = corpusAgentTexts;

async function formatOrThrow(text: string, verify: boolean): Promise<string> {
  const r = await formatText(text, "bench.symbi", { verify });
  if (!r.ok) throw new Error(`bench input did not format: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return r.output;
}

export async function run(): Promise<void> {
  const input = corpusMegabyte();
  const mb = Buffer.byteLength(input) / 1_000_000;
  await formatOrThrow(input, true);

  const plain = await timeAsync(async () => void (await formatOrThrow(input, false)), 10, 2);
  report(
    "format (prettier + plugin)",
    mb / (plain.median / 1000),
    "MB/s",
    { value: 2, higherIsBetter: true },
    `(${mb.toFixed(2)} MB, median ${plain.median.toFixed(0)} ms, p95 ${plain.p95.toFixed(0)} ms)`,
  );

  const checked = await timeAsync(async () => void (await formatOrThrow(input, true)), 10, 2);
  report(
    "format + self-check (symbic fmt)",
    mb / (checked.median / 1000),
    "MB/s",
    { value: 2, higherIsBetter: true },
    `(median ${checked.median.toFixed(0)} ms)`,
  );

  const agents = corpusAgents();
  const agentBytes = agents.reduce((n, s) => n + Buffer.byteLength(s), 0) / 1_000_000;
  const perFile = await timeAsync(
    async () => {
      for (const a of agents) await formatOrThrow(a, true);
    },
    10,
    2,
  );
  report(
    "per-file (15 agents, self-checked)",
    agentBytes / (perFile.median / 1000),
    "MB/s",
    undefined,
    `(${(perFile.median / agents.length).toFixed(2)} ms per file)`,
  );
}
