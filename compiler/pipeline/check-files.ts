/**
 * `symbic check PATHS...`: expands files and folders, groups them by project root (see
 * compiler/project/root.ts), loads each project whole — every source file under the root and its
 * tool contracts, so names resolve across files — and reports the diagnostics of the requested
 * files and of the project's contracts. Paths in diagnostics are relative to the working
 * directory when inside it.
 *
 * The stages: the checker (compiler/check), then, for each agent of a requested file, the
 * compiler's own stages up to the bundle (compiler/emit/agent.ts: policy analysis and Cedar
 * emission, sandbox manifests, IR), so every error `symbic build` would report is reported here.
 */
import { relative, resolve } from "node:path";
import { capDiagnostics, decodeSource, type ParseResult } from "../../grammar/index.js";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../diagnostics/model.js";
import { compileAgent } from "../emit/agent.js";
import { collectSourceFiles, displayPath, isSourceFile, readSourceBytes } from "../project/files.js";
import { findProjectRoot } from "../project/root.js";
import { membershipDiagnostics, projectMembers, requestedMembers, type ProjectMembers } from "../project/members.js";
import { Project, isContractPath, type CheckResult } from "../check/project.js";
import { readContractText } from "../contracts/index.js";

/** A top-level policy's problem is found once per agent it applies to: report it once. */
function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = `${d.file}\u0000${d.span.start}\u0000${d.span.end}\u0000${d.code}\u0000${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface CheckFilesResult {
  /** Diagnostics of the requested files and of the contracts of their projects, sorted. */
  diagnostics: Diagnostic[];
  /** Parse results of every loaded source file (requested or not), by display path. */
  files: Map<string, ParseResult>;
  /** How many files were requested (for the summary line). */
  requested: number;
  projects: Array<{ root: string; result: CheckResult; members?: ProjectMembers }>;
  /** Text of a file shown in diagnostics (sources and contracts), for excerpts. */
  source(file: string): string | undefined;
}

function displayRoot(root: string): string {
  const rel = relative(process.cwd(), root);
  if (rel === "") return ".";
  return rel.startsWith("..") ? root : rel;
}

/** Throws FileError (from compiler/project/files.ts) for paths that do not exist or cannot be read. */
export function checkFiles(paths: readonly string[]): CheckFilesResult {
  const requested = collectSourceFiles(paths);
  let checked = 0;
  const byRoot = new Map<string, string[]>();
  const rootOfDir = new Map<string, string>();
  // A file named explicitly that is not a source file (`/dev/null`, `notes.txt`) is checked on
  // its own: its folder is no project to walk (`symbic check /dev/null` walked /dev).
  const alone = new Set(requested.filter((f) => !isSourceFile(f)).map((f) => resolve(f)));
  for (const f of requested) {
    const dir = resolve(f, "..");
    let root = alone.has(resolve(f)) ? resolve(f) : rootOfDir.get(dir);
    if (root === undefined) rootOfDir.set(dir, (root = findProjectRoot(f)));
    let list = byRoot.get(root);
    if (!list) byRoot.set(root, (list = []));
    list.push(f);
  }
  const diagnostics: Diagnostic[] = [];
  const files = new Map<string, ParseResult>();
  const texts = new Map<string, string>();
  const projects: CheckFilesResult["projects"] = [];
  for (const [root, wanted] of [...byRoot].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const single = alone.has(root);
    const project = new Project(displayRoot(single ? resolve(root, "..") : root), {
      recordSymbols: false,
      loadContractsFromDisk: !single,
    });
    const membership = single ? undefined : projectMembers(root);
    if (membership) {
      // A folder's files outside `[project] sources` are not the project's (a file named
      // explicitly still is checked, with the project).
      const kept = requestedMembers(membership, wanted, paths);
      wanted.splice(0, wanted.length, ...kept);
      if (wanted.length === 0) continue;
      diagnostics.push(...membershipDiagnostics(membership, wanted));
    }
    checked += wanted.length;
    const members = new Set([...(membership?.files ?? []), ...wanted].map((f) => resolve(f)));
    const show = new Set(wanted.map((f) => displayPath(f)));
    for (const abs of [...members].sort()) {
      const shown = displayPath(abs);
      const decoded = decodeSource(readSourceBytes(abs), shown);
      if ("diagnostic" in decoded) {
        if (show.has(shown)) diagnostics.push(decoded.diagnostic);
        continue;
      }
      texts.set(shown, decoded.text);
      project.setFile(shown, decoded.text);
    }
    const result = project.check();
    for (const [f, r] of result.files) files.set(f, r);
    // A top-level allow that widens agents (W0305) is shown wherever it is: it changes what the
    // requested agents may do.
    for (const d of result.diagnostics)
      if (show.has(d.file) || isContractPath(d.file) || d.code === "W0305") diagnostics.push(d);
    // The compiler's stages run on programs the checker accepts (as `symbic build` does).
    if (!hasErrors(result.diagnostics)) {
      const contracts = new Map([...result.contracts].filter(([, c]) => c.valid));
      for (const info of result.agents.values()) {
        if (!show.has(info.file)) continue;
        const compiled = compileAgent(info, result, contracts, {
          file: info.file,
          text: (f) => texts.get(f),
          validate: false,
        });
        diagnostics.push(...compiled.diagnostics);
      }
    }
    projects.push({ root, result, ...(membership ? { members: membership } : {}) });
  }
  return {
    // Capped per file again: the compiler's stages add to what the checker capped.
    diagnostics: capDiagnostics(dedupe(sortDiagnostics(diagnostics))),
    files,
    requested: checked,
    projects,
    source(file) {
      const t = texts.get(file);
      if (t !== undefined) return t;
      if (!isContractPath(file)) return undefined;
      try {
        const text = readContractText(file);
        texts.set(file, text);
        return text;
      } catch {
        return undefined;
      }
    },
  };
}
