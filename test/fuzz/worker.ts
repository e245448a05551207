/**
 * The fuzz test's worker thread: runs mutations [from, to) of a seed through what `symbic
 * parse`, `symbic check` and `symbic fmt` run, and reports every broken invariant. Progress
 * goes to a shared counter the main thread watches, so a hang is caught (the worker is
 * terminated) and blamed on the mutation it was running.
 *
 * Per mutation:
 * - parse: decoding (strict UTF-8, size limit) and the parser — the tree is a Program, every
 *   diagnostic is located inside the text with a stable code, at most MAX_DIAGNOSTICS_PER_FILE + 1;
 * - check: the reference-agents project (its tool contracts) with the mutated file, as `symbic
 *   check` runs it — no throw, no E0900 (the checker failed), the same span rules;
 * - fmt: `formatBytes` on every mutation that parses and on one in FMT_BROKEN_EVERY of the others
 *   (on a syntax error the formatter only parses and reports) — no throw, no internal failure
 *   (E0701/E0702: output that does not re-parse to the same tree), and formatting the output
 *   again changes nothing.
 */
import { parentPort, workerData } from "node:worker_threads";
import { decodeSource, MAX_DIAGNOSTICS_PER_FILE, parseBytes, type ParseResult } from "../../grammar/index.js";
import type { Diagnostic } from "../../grammar/diagnostic.js";
import { Project, type CheckResult } from "../../compiler/check/index.js";
import { formatBytes, formatText } from "../../compiler/format/format.js";
import { mutation } from "./mutate.js";
import { FMT_BROKEN_EVERY, STAGES, type Failure, type WorkerJob, type WorkerStats } from "./protocol.js";

const job = workerData as WorkerJob;
const progress = new Int32Array(job.progress);
const FILE = `${job.projectRoot}/agents/fuzzed.symbi`;

function spanProblems(ds: readonly Diagnostic[], file: string, text: string): string | undefined {
  let count = 0;
  for (const d of ds) {
    if (d.file !== file) continue;
    count++;
    const s = d.span;
    if (!(s.start >= 0 && s.start <= s.end && s.end <= text.length + 1))
      return `${d.code} span ${s.start}-${s.end} outside 0-${text.length}`;
    if (!(s.line >= 1 && s.col >= 1 && s.endLine >= s.line)) return `${d.code} bad line/col ${JSON.stringify(s)}`;
    if (!/^[EW]0\d{3}$/.test(d.code)) return `bad code ${d.code}`;
    if (!d.message) return `${d.code} without a message`;
  }
  if (count > MAX_DIAGNOSTICS_PER_FILE + 1) return `${count} diagnostics (cap ${MAX_DIAGNOSTICS_PER_FILE} + 1)`;
  return undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message).split("\n").slice(0, 6).join("\n") : String(e);
}

async function run(): Promise<WorkerStats> {
  const stats: WorkerStats = { parsed: 0, checked: 0, formatted: 0, clean: 0, slowestMs: 0, slowestIndex: -1 };
  // As `symbic check` runs it (no symbol recording).
  const project = new Project(job.projectRoot, { recordSymbols: false });
  const fail = (f: Failure) => parentPort!.postMessage({ type: "failure", failure: f });
  for (let i = job.from; i < job.to; i++) {
    Atomics.store(progress, 0, i);
    const started = performance.now();
    const m = mutation(job.seed, i, job.inputs);

    // parse: the decoding `symbic parse` does, then the parser — run as part of the project's
    // check (Project.check parses each file with the same parseText), so it is not paid twice.
    Atomics.store(progress, 1, 1);
    let parsed: ParseResult | undefined;
    let checked: CheckResult | undefined;
    try {
      const decoded = decodeSource(m.bytes, FILE);
      if ("diagnostic" in decoded) parsed = parseBytes(m.bytes, FILE);
      else {
        Atomics.store(progress, 1, 2);
        project.setFile(FILE, decoded.text);
        checked = project.check();
        parsed = checked.files.get(FILE);
        stats.checked++;
      }
      stats.parsed++;
      const problem = !parsed
        ? "no parse result"
        : parsed.program.kind !== "Program"
          ? "no Program"
          : spanProblems(parsed.diagnostics, FILE, parsed.text);
      if (problem) {
        fail({ index: i, stage: "parse", problem });
        continue; // the check would report the same diagnostics again
      }
    } catch (e) {
      fail({
        index: i,
        stage: STAGES[Atomics.load(progress, 1)] === "check" ? "check" : "parse",
        problem: describe(e),
      });
      continue;
    }
    if (!parsed) continue;
    const clean = !parsed.diagnostics.some((d) => d.severity === "error");
    if (clean) stats.clean++;
    if (checked) {
      const crashed = checked.diagnostics.find((d) => d.code.startsWith("E09"));
      const problem = crashed
        ? `${crashed.code} ${crashed.message}`
        : spanProblems(checked.diagnostics, FILE, parsed.text);
      if (problem) fail({ index: i, stage: "check", problem });
    }

    if (clean || i % FMT_BROKEN_EVERY === 0) {
      Atomics.store(progress, 1, 3);
      try {
        const out = await formatBytes(m.bytes, FILE);
        stats.formatted++;
        if (!out.ok && out.reason === "internal")
          fail({ index: i, stage: "fmt", problem: out.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ") });
        else if (clean && !out.ok && out.reason !== "input")
          fail({ index: i, stage: "fmt", problem: `refused a file that parses: ${out.diagnostics[0]?.message}` });
        else if (!clean && out.ok) fail({ index: i, stage: "fmt", problem: "formatted a file with syntax errors" });
        else if (out.ok) {
          const again = await formatText(out.output, FILE);
          if (!again.ok || again.changed)
            fail({ index: i, stage: "fmt", problem: "not idempotent: formatting the output changes it again" });
        }
      } catch (e) {
        fail({ index: i, stage: "fmt", problem: describe(e) });
      }
    }
    const ms = performance.now() - started;
    if (ms > stats.slowestMs) {
      stats.slowestMs = ms;
      stats.slowestIndex = i;
    }
    Atomics.add(progress, 2, 1);
  }
  return stats;
}

run().then(
  (stats) => parentPort!.postMessage({ type: "done", stats }),
  (e) => parentPort!.postMessage({ type: "failure", failure: { index: -1, stage: "parse", problem: describe(e) } }),
);
