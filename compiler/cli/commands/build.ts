/**
 * `symbic build PATHS... --out DIR`: compiles every agent to a bundle folder `DIR/<agent>/`
 * (docs/bundle.md): Cedar policies validated against the generated schema, sandbox manifests,
 * Kubernetes Jobs, the agent's IR, hashed in bundle.json.
 *
 * The checker runs first, on the whole project (every source under the project folder, and its
 * tool contracts), and the build stops on any error. The project folder is `--project`, or the
 * one `symbic check` finds (compiler/project/root.ts: the nearest folder with `tools/` or
 * `symbi.toml`).
 *
 * `--sign KEYFILE` (or `[bundles] signing_key` in the configuration, config/; `--no-sign` turns
 * it off) signs each bundle (formats/bundle-signature.ts): `bundle.sig` beside bundle.json, an
 * Ed25519 signature over it with a key from `symbi keygen`; `symbi exec` runs a bundle folder
 * only when its signature names a key the operator trusts (or the operator allows unsigned
 * bundles explicitly). An invalid configuration stops the build (every problem, located; exit 3).
 *
 * Exit codes: 0 built; 3 the sources have errors (nothing is written); 1 usage or I/O error
 * (including a signing key that cannot be used).
 */
import type { Command } from "commander";
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { findProjectRoot } from "../../project/root.js";
import { buildProject, projectPath, type SourceInput } from "../../emit/build.js";
import { writeBundle } from "../../emit/bundle.js";
import { DEFAULT_RUNTIME_IMAGE, isImageReference } from "../../../formats/images.js";
import { collectSourceFiles, displayPath, isSourceFile, readSourceBytes } from "../../project/files.js";
import { emitDiagnostics, parseFormat, runCommand, useColor } from "../output.js";
import { UserError } from "../../../formats/exit-codes.js";
import { ExitCode } from "../../../formats/exit-codes.js";
import { KeyError, loadPrivateKey } from "../../../formats/keys.js";
import { BUNDLE_SIGNATURE_FILE, signBundle } from "../../../formats/bundle-signature.js";
import { Config, ConfigError, bundles, loadConfig } from "../../../config/index.js";

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The key that signs the bundles: --sign, else [bundles] signing_key; none with --no-sign. */
function bundleSigningKey(projectDir: string, sign: string | false | undefined) {
  if (sign === false) return undefined;
  let file: string | undefined;
  let from = "--sign";
  try {
    const config = loadConfig({
      projectRoot: projectDir,
      ...(sign !== undefined ? { flags: { "bundles.signing_key": { value: sign, flag: "--sign" } } } : {}),
    });
    const setting = config.get("bundles", "signing_key");
    file = config.values(bundles).signing_key;
    if (setting && setting.source.kind !== "flag") from = `[bundles] signing_key (${Config.describe(setting.source)})`;
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.lines.map((l) => `error: ${l}`).join("\nsymbic: "), e.exitCode);
    throw e;
  }
  if (file === undefined) return undefined;
  try {
    return loadPrivateKey(file);
  } catch (e) {
    if (e instanceof KeyError) throw new UserError(`${from}: ${e.message}`);
    throw e;
  }
}

export function registerBuild(program: Command): void {
  program
    .command("build")
    .description("compile agents to bundles: Cedar policies, sandbox manifests, Kubernetes Jobs, IR (exit 3 on errors)")
    .argument("<paths...>", "source files or folders (.symbi, .dsl)")
    .requiredOption("-o, --out <dir>", "output folder: one bundle folder per agent")
    .option("--project <dir>", "project folder holding tools/ (default: found from the first path)")
    .option(
      "--runtime-image <ref>",
      `the image the Kubernetes Jobs run (default ${DEFAULT_RUNTIME_IMAGE}); pin it by digest (name@sha256:…) on a cluster`,
    )
    .option("--format <format>", "diagnostics format: pretty | json | sarif | github", "pretty")
    .option(
      "--sign <keyfile>",
      "sign each bundle with this Ed25519 private key (symbi keygen): writes bundle.sig (default: [bundles] signing_key)",
    )
    .option("--no-sign", "do not sign, even when [bundles] signing_key is set")
    .action(
      (
        paths: string[],
        opts: { out: string; project?: string; runtimeImage?: string; format: string; sign?: string | false },
      ) =>
        runCommand(() => {
          const format = parseFormat(opts.format);
          if (opts.runtimeImage !== undefined && !isImageReference(opts.runtimeImage))
            throw new UserError(
              `--runtime-image ${JSON.stringify(opts.runtimeImage)} is not an image reference ([registry/]name[:tag][@sha256:digest])`,
            );
          const files = collectSourceFiles(paths);
          if (files.length === 0) throw new UserError(`no .symbi or .dsl files in ${paths.join(", ")}`);
          const projectDir = resolve(opts.project ?? findProjectRoot(files[0]!));
          if (!isDir(projectDir)) throw new UserError(`--project ${opts.project}: not a folder`);
          const signingKey = bundleSigningKey(projectDir, opts.sign);
          const read = (f: string): SourceInput => ({
            file: projectPath(projectDir, resolve(f)),
            bytes: Buffer.from(readSourceBytes(f)),
          });
          const sources = files.map(read);
          const requested = new Set(sources.map((s) => s.file));
          // The rest of the project: checked with the build so names resolve across files.
          // A lone non-source file (`/dev/null`) has no project to walk (as in `symbic check`).
          const walk = opts.project !== undefined || isSourceFile(files[0]!);
          const others = (walk ? collectSourceFiles([projectDir]) : [])
            .filter((f) => !requested.has(projectPath(projectDir, resolve(f))))
            .map(read);
          // Diagnostics name files as the user sees them; the bundle records project paths.
          const shown = new Map<string, string>();
          for (const s of [...sources, ...others]) shown.set(s.file, displayPath(resolve(projectDir, s.file)));
          const out = buildProject({
            projectDir,
            sources,
            otherSources: others,
            ...(opts.runtimeImage !== undefined ? { runtimeImage: opts.runtimeImage } : {}),
          });
          const toShown = (file: string) => shown.get(file) ?? displayPath(resolve(projectDir, file));
          const diags = out.diagnostics.map((d) => ({
            ...d,
            file: toShown(d.file),
            ...(d.related ? { related: d.related.map((r) => ({ ...r, file: toShown(r.file) })) } : {}),
          }));
          const texts = new Map<string, string>();
          for (const [f, t] of out.texts) texts.set(toShown(f), t);
          const code = emitDiagnostics(diags, format, (f) => texts.get(f), files.length);
          if (code !== ExitCode.Ok) return code;
          const outDir = resolve(opts.out);
          for (const b of out.bundles) {
            const files = new Map(b.files);
            if (signingKey)
              files.set(BUNDLE_SIGNATURE_FILE, Buffer.from(signBundle(files.get("bundle.json")!, signingKey)));
            try {
              writeBundle(outDir, b.agent, files);
            } catch (e) {
              throw new UserError(
                `cannot write the bundle of ${b.agent} to ${displayPath(join(outDir, b.agent))}: ${(e as Error).message}`,
              );
            }
            if (format === "pretty") {
              const line = `built ${b.agent} → ${displayPath(join(outDir, b.agent))} (${b.files.size} files${signingKey ? ", signed" : ""})`;
              process.stderr.write((useColor(process.stderr) ? `\x1b[32m${line}\x1b[0m` : line) + "\n");
            }
          }
          if (out.bundles.length === 0 && format === "pretty") process.stderr.write("no agents to build\n");
          return ExitCode.Ok;
        }),
    );
}
