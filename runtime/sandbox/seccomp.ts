/**
 * Docker's default seccomp profile, passed explicitly with every container (`SecurityOpt
 * seccomp=<profile JSON>`), so the filter a tool runs under does not depend on how the daemon is
 * configured: a daemon started with `--seccomp-profile unconfined` (or a permissive profile of
 * its own) cannot weaken the sandbox. Docker 20.10 has no per-container name for its built-in
 * profile (`seccomp=builtin` arrived later), so the profile's JSON is read from a file:
 *
 *   1. `SYMBI_SECCOMP_PROFILE`, if set (an operator's explicit choice; it must deny by default);
 *   2. `$XDG_DATA_HOME/symbi/docker-default-seccomp.json` (default `~/.local/share/...`), which
 *      `npm run sandbox:image` extracts from Debian's `golang-github-docker-docker-dev` — the
 *      same source package as the `docker.io` engine, so it is that engine's default profile;
 *   3. that package's own file, when it is installed.
 *
 * None found, or a profile that allows by default: the container tiers refuse to run (fail
 * closed) with a message that says how to get it.
 *
 * Tier2 gets the same profile with one change (gvisorSeccompProfile): gVisor's runsc, registered
 * with `--oci-seccomp`, ignores a rule's `errnoRet` (Debian 12's runsc 0.0~20221219 turns
 * `SCMP_ACT_ERRNO` into EPERM, as its debug log shows: `syscall filter clone3: [( )] => errno (1)`),
 * so Docker's `clone3 → ENOSYS` became `clone3 → EPERM`, and glibc, which falls back to `clone`
 * only on ENOSYS, could not create a thread: Node.js, curl's resolver and git's threads failed.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { SandboxUnavailableError } from "./errors.js";

/** Where Debian's golang-github-docker-docker-dev installs the engine's default profile. */
const DEBIAN_PROFILE = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json";

/** Actions that let a syscall through: a profile whose default is one of these filters nothing. */
const PERMISSIVE_ACTIONS = new Set(["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"]);

export interface SeccompProfile {
  /** Where the profile was read from. */
  path: string;
  /** The profile as compact JSON, ready for `seccomp=<json>`. */
  json: string;
}

/** The file `npm run sandbox:image` writes (scripts/build-sandbox-image.sh writes the same path). */
export function extractedProfilePath(env: NodeJS.ProcessEnv = process.env): string {
  const dataHome =
    env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith("/") ? env.XDG_DATA_HOME : join(homedir(), ".local/share");
  return join(dataHome, "symbi", "docker-default-seccomp.json");
}

/** Candidate files in the order they are tried. */
export function seccompProfileCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.SYMBI_SECCOMP_PROFILE) return [env.SYMBI_SECCOMP_PROFILE];
  return [extractedProfilePath(env), DEBIAN_PROFILE];
}

/** Why a parsed profile is not acceptable, or null. */
export function seccompProfileProblem(profile: unknown): string | null {
  if (typeof profile !== "object" || profile === null || Array.isArray(profile)) return "it is not a JSON object";
  const p = profile as { defaultAction?: unknown; syscalls?: unknown };
  if (typeof p.defaultAction !== "string") return "it has no defaultAction";
  if (PERMISSIVE_ACTIONS.has(p.defaultAction))
    return `its defaultAction ${p.defaultAction} lets every syscall it does not name through`;
  if (!Array.isArray(p.syscalls) || p.syscalls.length === 0) return "it allows no syscalls at all";
  return null;
}

/**
 * The profile for gVisor (tier2), derived from `profile`: every rule that answers ENOSYS
 * (`SCMP_ACT_ERRNO` with `errnoRet` 38 — Docker's `clone3`) becomes `SCMP_ACT_TRACE`, and `ptrace`
 * is removed from every rule that allows it.
 *
 * Why this is no wider than the original: a syscall whose filter says TRACE fails with ENOSYS
 * when no tracer is attached (seccomp(2); gVisor does the same — measured: `Syscall 435: denied by
 * seccomp`, and glibc then uses `clone`, whose flags the profile does check). Only a ptrace tracer
 * with PTRACE_O_TRACESECCOMP could let such a call through, and without `ptrace` nothing inside
 * the sandbox can become one. So the ENOSYS rules mean exactly what they meant; the one
 * difference is narrower: tools cannot ptrace (strace, gdb) under tier2.
 */
export function gvisorSeccompProfile(profile: SeccompProfile): SeccompProfile {
  if (derived?.from === profile) return derived.profile;
  const parsed = JSON.parse(profile.json) as { syscalls: SeccompRule[] } & Record<string, unknown>;
  const syscalls: SeccompRule[] = [];
  for (const { name, ...rule } of parsed.syscalls) {
    // Docker's format names a rule's syscalls in `names` (or, in old profiles, one `name`).
    const listed = Array.isArray(rule.names) ? rule.names : typeof name === "string" ? [name] : [];
    const names = listed.filter((n) => n !== "ptrace");
    if (names.length === 0) continue;
    if (rule.action === "SCMP_ACT_ERRNO" && rule.errnoRet === ENOSYS) {
      const { errnoRet: _enosys, ...rest } = rule;
      syscalls.push({ ...rest, names, action: "SCMP_ACT_TRACE" });
    } else syscalls.push({ ...rule, names });
  }
  const result = { path: profile.path, json: JSON.stringify({ ...parsed, syscalls }) };
  derived = { from: profile, profile: result };
  return result;
}

let derived: { from: SeccompProfile; profile: SeccompProfile } | null = null;

/** ENOSYS on the architectures Docker's profile names it for (x86_64, arm64, …; mips has 89, kept as is). */
const ENOSYS = 38;

interface SeccompRule {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  [field: string]: unknown;
}

let cached: { key: string; profile: SeccompProfile } | null = null;

/** Loads (once per process and candidate list) the profile every container is given. */
export function loadSeccompProfile(env: NodeJS.ProcessEnv = process.env): SeccompProfile {
  const candidates = seccompProfileCandidates(env);
  const key = candidates.join("\n");
  if (cached?.key === key) return cached.profile;
  for (const path of candidates) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      if (env.SYMBI_SECCOMP_PROFILE)
        throw new SandboxUnavailableError(`SYMBI_SECCOMP_PROFILE names ${path}, which cannot be read`);
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new SandboxUnavailableError(`the seccomp profile ${path} is not valid JSON (${(e as Error).message})`);
    }
    const problem = seccompProfileProblem(parsed);
    if (problem !== null) throw new SandboxUnavailableError(`the seccomp profile ${path} is refused: ${problem}`);
    const profile = { path, json: JSON.stringify(parsed) };
    cached = { key, profile };
    return profile;
  }
  throw new SandboxUnavailableError(
    `the container tiers pass Docker's default seccomp profile explicitly (so a daemon configured to allow every syscall cannot weaken the sandbox), but it is not here: run \`npm run sandbox:image\`, which extracts it from Debian's golang-github-docker-docker-dev, or set SYMBI_SECCOMP_PROFILE to a profile file (looked in: ${candidates.join(", ")})`,
  );
}
