/**
 * `symbic build PATHS... --out DIR`: compiles every agent to a bundle folder `DIR/<agent>/`
 * (docs/bundle.md): Cedar policies validated against the generated schema, sandbox manifests,
 * Kubernetes Jobs, the agent's IR, hashed in bundle.json.
 *
 * The checker runs first, on the whole project (every source under the project folder, and its
 * tool contracts), and the build stops on any error. The project folder is `--project`, or the
 * one `symbic check` finds for each path (compiler/project/root.ts: the nearest folder with
 * `tools/` or `symbi.toml`): paths of several projects are built as `symbic check` checks them,
 * each project whole, and nothing is written unless every project builds.
 *
 * `--sign KEYFILE` (or `[bundles] signing_key` in the configuration, config/; `--no-sign` turns
 * it off) signs each bundle (formats/bundle-signature.ts): `bundle.sig` beside bundle.json, an
 * Ed25519 signature over it with a key from `symbi keygen`; `symbi exec` runs a bundle folder
 * only when its signature names a key the operator trusts (or the operator allows unsigned
 * bundles explicitly). An invalid configuration stops the build (every problem, located; exit 3).
 *
 * MCP servers (`[mcp.servers.*]`) are listed live, each in its own tier's sandbox, and their
 * tools pinned in the bundles; a tool that differs from its pin in `mcp.lock.json` refuses the
 * build; `--offline` starts no server and pins exactly the lock (../mcp-pins.ts).
 *
 * Exit codes: 0 built; 3 the sources have errors, or an MCP tool differs from its pin (nothing
 * is written); 1 usage or I/O error (including a signing key that cannot be used, and an MCP
 * server that cannot be listed).
 */
import type { Command } from "commander";
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import { findProjectRoot } from "../../project/root.js";
import { membershipDiagnostics, projectMembers, requestedMembers } from "../../project/members.js";
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
import type { Diagnostic } from "../../diagnostics/model.js";
import { mcpPinsForBuild } from "../mcp-pins.js";

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
    .option(
      "--offline",
      "start no MCP server: pin exactly mcp.lock.json (default: list each server in its sandbox and compare with mcp.lock.json)",
    )
    .action(
      (
        paths: string[],
        opts: {
          out: string;
          project?: string;
          runtimeImage?: string;
          format: string;
          sign?: string | false;
          offline?: boolean;
        },
      ) =>
        runCommand(async () => {
          const format = parseFormat(opts.format);
          if (opts.runtimeImage !== undefined && !isImageReference(opts.runtimeImage))
            throw new UserError(
              `--runtime-image ${JSON.stringify(opts.runtimeImage)} is not an image reference ([registry/]name[:tag][@sha256:digest])`,
            );
          const files = collectSourceFiles(paths);
          if (files.length === 0) throw new UserError(`no .symbi or .dsl files in ${paths.join(", ")}`);
          if (opts.project !== undefined && !isDir(resolve(opts.project)))
            throw new UserError(`--project ${opts.project}: not a folder`);
          // Paths are grouped by project exactly as `symbic check` groups them; each project is
          // built whole (its other files checked with it, so names resolve across files).
          const groups = new Map<string, string[]>();
          for (const f of files) {
            const root = resolve(opts.project ?? findProjectRoot(f));
            groups.set(root, [...(groups.get(root) ?? []), f]);
          }
          const built: Array<{ projectDir: string; out: ReturnType<typeof buildProject> }> = [];
          const diags: Diagnostic[] = [];
          const texts = new Map<string, string>();
          const signers = new Map<string, ReturnType<typeof bundleSigningKey>>();
          for (const [projectDir, wanted] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
            signers.set(projectDir, bundleSigningKey(projectDir, opts.sign));
            const read = (f: string): SourceInput => ({
              file: projectPath(projectDir, resolve(f)),
              bytes: Buffer.from(readSourceBytes(f)),
            });
            const sources = wanted.map(read);
            const requested = new Set(sources.map((x) => x.file));
            // A lone non-source file (`/dev/null`) has no project to walk (as in `symbic check`).
            const walk = opts.project !== undefined || isSourceFile(wanted[0]!);
            const members = walk ? projectMembers(projectDir) : undefined;
            if (members) {
              // A folder's files outside `[project] sources` are not the project's.
              const kept = requestedMembers(members, wanted, paths);
              if (kept.length === 0) continue;
              sources.splice(0, sources.length, ...kept.map(read));
              requested.clear();
              for (const x of sources) requested.add(x.file);
            }
            const others = (members?.files ?? [])
              .filter((f) => !requested.has(projectPath(projectDir, resolve(f))))
              .map(read);
            // Diagnostics name files as the user sees them; the bundle records project paths.
            const shown = new Map<string, string>();
            for (const x of [...sources, ...others]) shown.set(x.file, displayPath(resolve(projectDir, x.file)));
            const mcpLock = await mcpPinsForBuild(projectDir, opts.offline === true, (line) => {
              if (format === "pretty") process.stderr.write(`${line}\n`);
            });
            const out = buildProject({
              projectDir,
              sources,
              otherSources: others,
              ...(mcpLock ? { mcpLock } : {}),
              ...(opts.runtimeImage !== undefined ? { runtimeImage: opts.runtimeImage } : {}),
            });
            const toShown = (file: string) => shown.get(file) ?? displayPath(resolve(projectDir, file));
            // Nested projects (E0030) fail the build as they fail `symbic check`.
            if (members) diags.push(...membershipDiagnostics(members, wanted));
            for (const d of out.diagnostics)
              diags.push({
                ...d,
                file: toShown(d.file),
                ...(d.related ? { related: d.related.map((r) => ({ ...r, file: toShown(r.file) })) } : {}),
              });
            for (const [f, t] of out.texts) texts.set(toShown(f), t);
            built.push({ projectDir, out });
          }
          // Two projects with an agent of the same name would write one bundle folder twice.
          const owner = new Map<string, string>();
          for (const { projectDir, out } of built)
            for (const b of out.bundles) {
              const first = owner.get(b.agent);
              if (first !== undefined)
                throw new UserError(
                  `agent \`${b.agent}\` is in two projects (${displayPath(first)} and ${displayPath(projectDir)}): build them to different --out folders`,
                );
              owner.set(b.agent, projectDir);
            }
          const code = emitDiagnostics(diags, format, (f) => texts.get(f), files.length);
          if (code !== ExitCode.Ok) return code;
          const outDir = resolve(opts.out);
          let count = 0;
          for (const { projectDir, out } of built) {
            const signingKey = signers.get(projectDir);
            for (const b of out.bundles) {
              count++;
              const bundleFiles = new Map(b.files);
              if (signingKey)
                bundleFiles.set(
                  BUNDLE_SIGNATURE_FILE,
                  Buffer.from(signBundle(bundleFiles.get("bundle.json")!, signingKey)),
                );
              try {
                writeBundle(outDir, b.agent, bundleFiles);
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
          }
          if (count === 0 && format === "pretty") process.stderr.write("no agents to build\n");
          return ExitCode.Ok;
        }),
    );
}
