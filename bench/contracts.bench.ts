/**
 * Tool contracts: the cost the language server pays per keystroke (parse one contract), the
 * compiler per build (load a project's contracts), and the runtime per tool call (validate the
 * arguments + build the argv, and parse/validate/envelope the output). Targets: a call's
 * contract work well under the policy gate's ~70 µs decision; one contract re-parsed in under
 * 2 ms so live diagnostics stay instant.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadContracts } from "../compiler/contracts/load.js";
import { parseContract } from "../compiler/contracts/parse.js";
import { validateToolArgs } from "../runtime/tools/validate.js";
import { buildArgv } from "../runtime/tools/argv.js";
import { parseToolOutput } from "../runtime/tools/output.js";
import { timeSync, report } from "./harness.js";
import { corpusDir } from "./corpus.js";

export async function run(): Promise<void> {
  const project = corpusDir();
  const nmapFile = join(project, "tools/nmap_scan.clad.toml");
  const nmapText = readFileSync(nmapFile, "utf8");

  const load = timeSync(() => void loadContracts(project), 30, 5);
  report(
    "load 5 reference contracts",
    load.median,
    "ms",
    { value: 20, higherIsBetter: false },
    `(p95 ${load.p95.toFixed(2)} ms)`,
  );

  const N = 50;
  const parse = timeSync(
    () => {
      for (let i = 0; i < N; i++) parseContract(nmapText, nmapFile);
    },
    15,
    3,
  );
  report("parse one contract (nmap_scan)", (parse.median / N) * 1000, "µs", { value: 2000, higherIsBetter: false });

  const { contracts } = loadContracts(project);
  const nmap = contracts.get("nmap_scan")!;
  const curl = contracts.get("curl_fetch")!;
  const calls = 2000;
  const call = timeSync(
    () => {
      for (let i = 0; i < calls; i++) {
        const a = validateToolArgs(nmap, { target: "10.0.0.0/24", scan_type: "service", extra_flags: "T4" });
        if (a.ok) buildArgv(nmap, a.args, { scanId: "b" });
        const b = validateToolArgs(curl, { url: "https://example.com/x", headers: "Accept: text/html" });
        if (b.ok) buildArgv(curl, b.args, { scanId: "b" });
      }
    },
    15,
    3,
  );
  report("validate + argv per call", (call.median / (calls * 2)) * 1000, "µs", { value: 20, higherIsBetter: false });

  const triage = contracts.get("submit_triage")!;
  const stdout = JSON.stringify({ routing_queue: "billing", escalated: false });
  const outs = 2000;
  const out = timeSync(
    () => {
      for (let i = 0; i < outs; i++)
        parseToolOutput(triage, stdout, { argv: ["submit_triage", "billing", "high"], exitCode: 0, durationMs: 5 });
    },
    15,
    3,
  );
  report("parse + schema-check + envelope (json)", (out.median / outs) * 1000, "µs", {
    value: 20,
    higherIsBetter: false,
  });
}
