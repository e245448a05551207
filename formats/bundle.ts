/**
 * The bundle format (docs/bundle.md): one folder per compiled agent, with `bundle.json` listing
 * the SHA-256 of every other file. `symbic build` seals and writes bundles (compiler/emit/bundle.ts);
 * `symbi exec` loads and verifies them (runtime/exec/bundle.ts); both read this declaration.
 */
import { posix } from "node:path";
import { ExitCode } from "./exit-codes.js";

export { sha256Hex } from "./digest.js";

export const BUNDLE_FORMAT = "symbi-bundle/v1";

/** Bundle-relative path (POSIX separators) → contents. */
export type BundleFiles = Map<string, Buffer>;

/** bundle.json: canonical JSON (RFC 8785). */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  agent: string;
  compiler: { name: "symbic"; version: string };
  sources: Array<{ path: string; sha256: string }>;
  files: Record<string, string>;
  /** The model the agent's file names (`metadata { model = "..." }`), for `llm_call` and `reason`. */
  model?: string;
}

/** A bundle that cannot be used: malformed, tampered with, incomplete. Exit code 3. */
export class BundleError extends Error {
  override readonly name = "BundleError";
  readonly exitCode = ExitCode.CheckFailed;
}

const HEX64 = /^[0-9a-f]{64}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A bundle path must stay inside the bundle: relative, forward slashes, no `.`/`..` segments. */
export function isSafeBundlePath(p: string): boolean {
  if (p === "" || p.startsWith("/") || p.includes("\\") || p.includes("\0")) return false;
  return p.split("/").every((s) => s !== "" && s !== "." && s !== "..") && posix.normalize(p) === p;
}

/** Parses and checks bundle.json. Throws BundleError. */
export function parseBundleManifest(text: string, origin: string): BundleManifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new BundleError(`${origin}/bundle.json is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(m)) throw new BundleError(`${origin}/bundle.json must be a JSON object`);
  if (m.format !== BUNDLE_FORMAT) {
    throw new BundleError(
      `${origin}/bundle.json has format ${JSON.stringify(m.format)}; this runtime reads ${JSON.stringify(BUNDLE_FORMAT)} (rebuild with symbic build)`,
    );
  }
  if (typeof m.agent !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(m.agent))
    throw new BundleError(`${origin}/bundle.json: "agent" must be the agent's name`);
  if (!isObject(m.files)) throw new BundleError(`${origin}/bundle.json: "files" must map each file to its SHA-256`);
  for (const [p, h] of Object.entries(m.files)) {
    if (!isSafeBundlePath(p))
      throw new BundleError(`${origin}/bundle.json lists ${JSON.stringify(p)}, which is not a path inside the bundle`);
    if (p === "bundle.json") throw new BundleError(`${origin}/bundle.json lists itself`);
    if (typeof h !== "string" || !HEX64.test(h))
      throw new BundleError(`${origin}/bundle.json: the hash of ${p} must be 64 lowercase hex digits`);
  }
  if (m.model !== undefined && (typeof m.model !== "string" || m.model === "" || /[\s\0]/.test(m.model)))
    throw new BundleError(`${origin}/bundle.json: "model" must be a model name`);
  return m as unknown as BundleManifest;
}
