/** Shared helpers for the checker tests: in-memory projects and «marked» expected ranges. */
import { Project, type CheckResult } from "../../compiler/check/index.js";
import type { Diagnostic } from "../../compiler/diagnostics/model.js";

/** Removes the first «…» pair from `src`, returning the text and the marked offsets. */
export function marked(src: string): { text: string; start: number; end: number } {
  const start = src.indexOf("«");
  const end = src.indexOf("»");
  if (start < 0 || end < start) throw new Error(`test bug: no «…» marker in ${JSON.stringify(src)}`);
  return { text: src.slice(0, start) + src.slice(start + 1, end) + src.slice(end + 1), start, end: end - 1 };
}

/** Checks sources (and contract files, by path) in a fresh in-memory project. */
export function checkProject(files: Record<string, string>): CheckResult {
  const p = new Project("/proj", { loadContractsFromDisk: false });
  for (const [path, text] of Object.entries(files)) p.setFile(path, text);
  return p.check();
}

export function checkSource(text: string, extra: Record<string, string> = {}): CheckResult {
  return checkProject({ "/proj/main.symbi": text, ...extra });
}

export function codes(r: CheckResult): string[] {
  return r.diagnostics.map((d) => d.code);
}

export function show(ds: readonly Diagnostic[]): string {
  return ds.map((d) => `${d.file}:${d.span.line}:${d.span.col} ${d.code} ${d.message}`).join("\n");
}

/** A minimal valid contract for tool `name` with string arguments (or the given arg tables). */
export function contract(
  name: string,
  args = '[args.x]\nposition = 1\nrequired = true\ntype = "string"\ndescription = "x"',
  extra = "",
): string {
  return `[tool]\nname = "${name}"\nbinary = "${name}"\ndescription = "test tool"\n${extra}\n${args}\n\n[command]\ntemplate = "${name} ${[...args.matchAll(/\[args\.(\w+)\]/g)].map((m) => `{${m[1]}}`).join(" ")}"\n\n[output]\nformat = "json"\nenvelope = false\n\n[output.schema]\ntype = "object"\n\n[output.schema.properties.status]\ntype = "string"\n`;
}
