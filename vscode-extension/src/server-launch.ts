/**
 * How the client finds and starts the language server. Kept free of the `vscode` module so the
 * decisions can be unit-tested under plain Node; `extension.ts` feeds it the editor's state.
 */
import * as path from "node:path";

/** Where the server module comes from. */
export type ServerSource = "setting" | "bundled";

export interface ServerLaunchInput {
  /** `symbiont.server.path` as configured (may be empty, relative or use `~`). */
  configuredPath: string | undefined;
  /** `symbiont.server.extraArgs`. */
  extraArgs: readonly unknown[] | undefined;
  /** Absolute path of the server shipped inside the extension (`server/main.js`). */
  bundledPath: string;
  /** First workspace folder, used to resolve a relative configured path. */
  workspaceRoot: string | undefined;
  /** Whether the workspace is trusted; an untrusted one may not pick the program we run. */
  workspaceTrusted: boolean;
  homeDir: string;
  fileExists: (p: string) => boolean;
}

export type ServerLaunch =
  { ok: true; module: string; source: ServerSource; args: string[]; notes: string[] } | { ok: false; message: string };

/** Decides which server module to run and with which arguments (the client appends `--stdio`). */
export function resolveServerLaunch(input: ServerLaunchInput): ServerLaunch {
  const notes: string[] = [];
  let args = (input.extraArgs ?? []).filter((a): a is string => typeof a === "string" && a !== "--stdio");
  // An untrusted workspace may not choose how the program we run is started either.
  if (!input.workspaceTrusted && args.length > 0) {
    notes.push(`Ignoring symbiont.server.extraArgs (${args.join(" ")}) because the workspace is not trusted.`);
    args = [];
  }
  const configured = (input.configuredPath ?? "").trim();
  if (configured !== "") {
    if (!input.workspaceTrusted) {
      notes.push(`Ignoring symbiont.server.path (${configured}) because the workspace is not trusted.`);
    } else {
      const resolved = expandPath(configured, input.workspaceRoot, input.homeDir);
      if (!input.fileExists(resolved)) {
        return {
          ok: false,
          message: `The language server set in symbiont.server.path was not found: ${resolved}. Fix the setting or clear it to use the bundled server.`,
        };
      }
      return { ok: true, module: resolved, source: "setting", args, notes };
    }
  }
  if (!input.fileExists(input.bundledPath)) {
    return {
      ok: false,
      message: `The bundled Symbiont language server is missing (${input.bundledPath}). Reinstall the extension, or set symbiont.server.path to a built server (dist/lsp/main.js).`,
    };
  }
  return { ok: true, module: input.bundledPath, source: "bundled", args, notes };
}

/** `~/x` → home, relative → against the workspace root (or left relative when there is none). */
export function expandPath(p: string, workspaceRoot: string | undefined, homeDir: string): string {
  if (p === "~" || p.startsWith("~/")) return path.join(homeDir, p.slice(1));
  if (path.isAbsolute(p)) return path.normalize(p);
  return workspaceRoot ? path.resolve(workspaceRoot, p) : path.resolve(p);
}

/**
 * Files whose changes the server must hear about: sources, the tool contracts they call, custom
 * types, the project marker `symbi.toml` (compiler/project/root.ts) and test files (`*.test.toml`).
 */
export const WATCHED_FILE_GLOBS = [
  "**/*.symbi",
  "**/*.dsl",
  "**/*.clad.toml",
  "**/toolclad.toml",
  "**/symbi.toml",
  "**/*.test.toml",
] as const;

/** Policy and agent tests (testing/README.md): the server offers lenses, hover and diagnostics on them. */
export const TEST_FILE_PATTERN = "**/*.test.toml";

export const LANGUAGE_ID = "symbiont";

/**
 * Skill files the server scans (lsp/features/skill-diagnostics.ts): every SKILL.md, and the files
 * of skill folders laid out as `skills/<name>/…`; the server itself decides which files belong
 * to a skill (a SKILL.md in their folder or above) and says nothing about the others.
 */
export const SKILL_FILE_PATTERNS = ["**/SKILL.md", "**/skills/**/*"] as const;
