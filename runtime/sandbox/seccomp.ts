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
