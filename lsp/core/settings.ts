/**
 * The settings a client keeps for the server under the `symbiont` section, read with
 * `workspace/configuration` (and again after `workspace/didChangeConfiguration`), or taken from
 * the notification itself for clients that push them. A value of the wrong type is reported and
 * the setting keeps its value: nothing given is silently ignored.
 */
export const SETTINGS_SECTION = "symbiont";

export interface ServerSettings {
  /** Quiet time after an edit before diagnostics are computed (ms). */
  diagnosticsDelay: number;
  inlayHints: {
    /** The parameter name before each positional argument of a tool call. */
    parameterNames: boolean;
    /** `ms` after a bare-number `with` timeout. */
    timeoutUnits: boolean;
  };
}

export function defaultSettings(diagnosticsDelay: number): ServerSettings {
  return { diagnosticsDelay, inlayHints: { parameterNames: true, timeoutUnits: true } };
}

/** The settings `raw` (the section's value) gives on top of `base`, and a problem per rejected value. */
export function readSettings(raw: unknown, base: ServerSettings): { settings: ServerSettings; problems: string[] } {
  const problems: string[] = [];
  const settings: ServerSettings = { ...base, inlayHints: { ...base.inlayHints } };
  if (raw === null || raw === undefined) return { settings, problems };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    problems.push(`settings "${SETTINGS_SECTION}" must be an object`);
    return { settings, problems };
  }
  const r = raw as Record<string, unknown>;
  const delay = r["diagnosticsDelay"];
  if (delay !== undefined) {
    if (typeof delay === "number" && Number.isFinite(delay) && delay >= 0 && delay <= 10_000)
      settings.diagnosticsDelay = delay;
    else problems.push(`${SETTINGS_SECTION}.diagnosticsDelay must be a number of milliseconds from 0 to 10000`);
  }
  const hints = r["inlayHints"];
  if (hints !== undefined) {
    if (typeof hints !== "object" || hints === null || Array.isArray(hints)) {
      problems.push(`${SETTINGS_SECTION}.inlayHints must be an object`);
    } else {
      for (const key of ["parameterNames", "timeoutUnits"] as const) {
        const v = (hints as Record<string, unknown>)[key];
        if (v === undefined) continue;
        if (typeof v === "boolean") settings.inlayHints[key] = v;
        else problems.push(`${SETTINGS_SECTION}.inlayHints.${key} must be true or false`);
      }
    }
  }
  return { settings, problems };
}
