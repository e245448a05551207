/**
 * `symbi doctor`'s start-up check: whether the installed CLIs start from the code caches the build
 * wrote (formats/cli-launch.ts). A cache made by another Node (an install built elsewhere, a
 * runtime image whose Node differs from the build's) is refused by V8: the CLIs then compile their
 * code on every run — correct, but slower — and nothing else says so.
 *
 * Each cache is asked about in a child process, as a run loads it (the same V8 flags, a fresh
 * isolate): compiling the CLI's file again in this process could be answered from V8's own
 * compilation cache instead.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BundledCli, CacheVariant, CodeCacheStatus } from "../../formats/cli-launch.js";
import type { DoctorFinding } from "./report.js";

const SUBJECT = "start-up code cache";

/** The caches the build writes (scripts/bundle-clis.mjs TRAINING_RUNS) and what each is for. */
const CACHES: ReadonlyArray<{ cli: BundledCli; variant: CacheVariant; what: string }> = [
  { cli: "symbi", variant: "default", what: "symbi (runs of a built bundle)" },
  { cli: "symbi", variant: "from-source", what: "symbi (runs of a .symbi file)" },
  { cli: "symbic", variant: "default", what: "symbic" },
];

const WHY: Record<Exclude<CodeCacheStatus, "accepted">, string> = {
  none: "missing",
  stale: "made from another text of the CLI",
  rejected: "refused by V8 (made by another Node.js, or with other V8 flags)",
};

/** The folder of the bundled CLIs this process runs from, when it runs from one (dist/cli). */
export function bundledCliDir(): string | undefined {
  // In the bundled CLI `import.meta.url` is its entry file; elsewhere (tsc's output, the
  // sources) there is no launcher beside this module.
  const dir = fileURLToPath(new URL(".", import.meta.url));
  return existsSync(join(dir, "launch.js")) && existsSync(join(dir, "symbi.cjs")) ? dir : undefined;
}

/**
 * What a run would make of one cache of the CLIs in `dir` (cli-launch.ts codeCacheStatus), asked
 * in a fresh process; a child that does not answer is said in the string returned.
 */
export function codeCacheStatusOf(dir: string, cli: BundledCli, variant: CacheVariant): CodeCacheStatus | string {
  const launch = pathToFileURL(join(dir, "launch.js")).href;
  const entry = pathToFileURL(join(dir, `${cli}.js`)).href;
  const code = `import { codeCacheStatus } from ${JSON.stringify(launch)};
process.stdout.write(codeCacheStatus(${JSON.stringify(cli)}, ${JSON.stringify(entry)}, ${JSON.stringify(variant)}));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", timeout: 30_000 });
  return r.status === 0 && r.stdout !== "" ? r.stdout : `not answered (${r.stderr.trim().split("\n")[0] ?? r.status})`;
}

export function codeCacheFindings(dir: string | undefined = bundledCliDir()): DoctorFinding[] {
  if (dir === undefined)
    return [{ subject: SUBJECT, status: "skip", detail: "not running the bundled CLIs (dist/cli)" }];
  const refused: string[] = [];
  for (const c of CACHES) {
    const status = codeCacheStatusOf(dir, c.cli, c.variant);
    if (status !== "accepted") refused.push(`${c.what}: ${WHY[status as keyof typeof WHY] ?? status}`);
  }
  if (refused.length === 0)
    return [{ subject: SUBJECT, status: "ok", detail: `used by ${CACHES.map((c) => c.what).join(", ")}` }];
  return [
    {
      subject: SUBJECT,
      status: "warn",
      detail: `not used, so those runs compile the CLI first (slower, not less safe): ${refused.join("; ")}`,
      fix: `rebuild the toolchain with this Node.js (${process.version}): npm run build`,
    },
  ];
}
