/**
 * `symbi config show`: the effective configuration, each value with where it came from. Values
 * of keys declared `secret` are never printed (only that they are set, and where).
 */
import { Config, type ConfigSource } from "./load.js";

export interface ShownSetting {
  key: string;
  /** Omitted for secrets and unset keys. */
  value?: unknown;
  set: boolean;
  secret: boolean;
  source: string | null;
}

export interface ShownConfig {
  files: Array<{ path: string; scope: string }>;
  settings: ShownSetting[];
}

function sourceText(s: ConfigSource): string {
  return Config.describe(s);
}

/** The effective configuration as data (secrets without their values). */
export function showConfig(config: Config): ShownConfig {
  const settings: ShownSetting[] = [];
  for (const section of config.sections) {
    for (const [key, spec] of Object.entries(section.keys)) {
      const s = config.get(section.name, key);
      const secret = spec.secret === true;
      const shown: ShownSetting = {
        key: `${section.name}.${key}`,
        set: s !== undefined,
        secret,
        source: s ? sourceText(s.source) : null,
      };
      if (s && !secret) shown.value = s.value;
      settings.push(shown);
    }
  }
  return { files: config.files.map((f) => ({ path: f.path, scope: f.scope })), settings };
}

/** TOML-like text: one line per key, its source as a comment; unset keys commented out. */
export function renderConfig(config: Config): string {
  const shown = showConfig(config);
  const lines: string[] = [];
  if (shown.files.length === 0) lines.push("# no configuration file (defaults, environment and flags only)");
  for (const f of shown.files) lines.push(`# ${f.scope} file: ${f.path}`);
  let section = "";
  for (const s of shown.settings) {
    const [name, key] = s.key.split(".") as [string, string];
    if (name !== section) {
      lines.push("", `[${name}]`);
      section = name;
    }
    if (!s.set) lines.push(`# ${key} (not set)`);
    else if (s.secret) lines.push(`${key} = <set, not shown>  # ${s.source}`);
    else lines.push(`${key} = ${JSON.stringify(s.value)}  # ${s.source}`);
  }
  return lines.join("\n") + "\n";
}
