/**
 * `symbic build PATHS... --out DIR`: compiles every agent to a bundle folder `DIR/<agent>/`
 * (docs/bundle.md): Cedar policies validated against the generated schema, sandbox manifests,
 * Kubernetes Jobs, the agent's IR, hashed in bundle.json.
 *
 * Exit codes: 0 built; 3 the sources have errors (nothing is written); 1 usage or I/O error.
 * Tool contracts come from `<project>/tools/*.clad.toml`; the project folder is `--project`, or
 * the nearest folder at or above the first path that has a `tools/` folder or a
 * `toolclad.toml`, or else the working directory.
 */
import type { Command } from "commander";
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { buildProject, projectPath, type SourceInput } from "../../emit/build.js";
import { writeBundle } from "../../emit/bundle.js";
import { collectSourceFiles, displayPath, readSourceBytes, FileError } from "../../project/files.js";
import { emitDiagnostics, parseFormat, runCommand, UserError, useColor } from "../output.js";
import { ExitCode } from "../exit-codes.js";

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The project folder for a build (see the module comment). */
export function findProjectDir(firstPath: string): string {
  let dir = resolve(isDir(firstPath) ? firstPath : dirname(firstPath));
  for (;;) {
    if (isDir(join(dir, "tools")) || existsSync(join(dir, "toolclad.toml"))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export function registerBuild(program: Command): void {
  program
    .command("build")
    .description("compile agents to bundles: Cedar policies, sandbox manifests, Kubernetes Jobs, IR (exit 3 on errors)")
    .argument("<paths...>", "source files or folders (.symbi, .dsl)")
    .requiredOption("-o, --out <dir>", "output folder: one bundle folder per agent")
    .option("--project <dir>", "project folder holding tools/ (default: found from the first path)")
    .option("--format <format>", "diagnostics format: pretty | json | sarif | github", "pretty")
    .action((paths: string[], opts: { out: string; project?: string; format: string }) =>
      runCommand(() => {
        const format = parseFormat(opts.format);
        let files: string[];
        try {
          files = collectSourceFiles(paths);
        } catch (e) {
          if (e instanceof FileError) throw new UserError(e.message);
          throw e;
        }
        if (files.length === 0) throw new UserError(`no .symbi or .dsl files in ${paths.join(", ")}`);
        const projectDir = resolve(opts.project ?? findProjectDir(paths[0]!));
        if (!isDir(projectDir)) throw new UserError(`--project ${opts.project}: not a folder`);
        const sources: SourceInput[] = [];
        // Diagnostics name files as the user sees them; the bundle records project paths.
        const shown = new Map<string, string>();
        for (const f of files) {
          let bytes: Buffer;
          try {
            bytes = Buffer.from(readSourceBytes(f));
          } catch (e) {
            if (e instanceof FileError) throw new UserError(e.message);
            throw e;
          }
          const rel = projectPath(projectDir, resolve(f));
          shown.set(rel, displayPath(resolve(projectDir, rel)));
          sources.push({ file: rel, bytes });
        }
        const out = buildProject({ projectDir, sources });
        const toShown = (file: string) => shown.get(file) ?? displayPath(resolve(projectDir, file));
        const diags = out.diagnostics.map((d) => ({ ...d, file: toShown(d.file), ...(d.related ? { related: d.related.map((r) => ({ ...r, file: toShown(r.file) })) } : {}) }));
        const texts = new Map<string, string>();
        for (const [f, t] of out.texts) texts.set(toShown(f), t);
        const code = emitDiagnostics(diags, format, (f) => texts.get(f), files.length);
        if (code !== ExitCode.Ok) return code;
        const outDir = resolve(opts.out);
        for (const b of out.bundles) {
          try {
            writeBundle(outDir, b.agent, b.files);
          } catch (e) {
            throw new UserError(`cannot write the bundle of ${b.agent} to ${displayPath(join(outDir, b.agent))}: ${(e as Error).message}`);
          }
          if (format === "pretty") {
            const line = `built ${b.agent} → ${displayPath(join(outDir, b.agent))} (${b.files.size} files)`;
            process.stderr.write((useColor(process.stderr) ? `\x1b[32m${line}\x1b[0m` : line) + "\n");
          }
        }
        if (out.bundles.length === 0 && format === "pretty") process.stderr.write("no agents to build\n");
        return ExitCode.Ok;
      }),
    );
}
