/**
 * The configuration as the `symbi` commands read it (config/): the project file of the project
 * a command works on (compiler/project/root.ts finds its root), the operator's files, the
 * environment and the command's own flags. Also what the whole process takes from it.
 */
import { createRequire } from "node:module";
import { findProjectRoot } from "../../compiler/project/root.js";
import { Config, loadConfig, security, type LoadOptions } from "../../config/index.js";

export type FlagValues = NonNullable<LoadOptions["flags"]>;

/**
 * Loads the configuration for a command working on `start` (a file or folder of the project;
 * the current directory when it works on none). Throws ConfigError (every problem, located).
 */
export function commandConfig(start: string | undefined, flags: FlagValues = {}): Config {
  return loadConfig({ projectRoot: findProjectRoot(start ?? process.cwd()), flags });
}

/** Only the flags that were given (commander leaves absent options undefined). */
export function givenFlags(entries: Array<[key: string, flag: string, value: unknown]>): FlagValues {
  const out: Record<string, { value: unknown; flag: string }> = {};
  for (const [key, flag, value] of entries) if (value !== undefined) out[key] = { value, flag };
  return out;
}

/**
 * Process-wide settings: `[security] tls_min_version` becomes Node's minimum TLS version for
 * every connection this process opens (Docker over TLS, model providers, discovery documents).
 */
export function applyProcessSettings(config: Config): void {
  const min = config.values(security).tls_min_version;
  if (min === undefined) return;
  // The module object (not an ES namespace, which is read-only) holds Node's default. Required
  // only when the setting is given: loading node:tls took longer than some whole commands.
  const tls = createRequire(import.meta.url)("node:tls") as typeof import("node:tls");
  tls.DEFAULT_MIN_VERSION = min === "1.3" ? "TLSv1.3" : "TLSv1.2";
}
