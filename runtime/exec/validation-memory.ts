/**
 * The Cedar validations that passed, remembered on disk between runs (compiler/emit/cedar/
 * validate.ts ValidationMemory): `symbi exec FILE.symbi` and `symbic test` build in memory on
 * every run, and strict validation was ~60 ms of each, for policies that had not changed.
 *
 * Where: `$XDG_CACHE_HOME/symbi/cedar-validated/`, else `~/.cache/symbi/cedar-validated/` (a
 * relative XDG_CACHE_HOME is ignored, as the XDG Base Directory specification says). One file per remembered input, named by its key (a SHA-256) and
 * holding it. Deleting the folder forgets everything; nothing else reads it.
 *
 * What it can and cannot change: a remembered key means "Cedar validated exactly this input
 * without an error". Validation is the compiler's safety net for its own bugs (the gate also
 * denies any request in which a policy cannot be evaluated). Someone who can write into the
 * folder could make a run skip that net for an input that would fail it; so the folder and the
 * entry must belong to this user and be writable by no one else (as ssh treats its files), and
 * anything else — a link, another owner, a group- or world-writable folder, an entry whose
 * content is not its key — is not used: the input is validated again.
 *
 * It never fails a run: a folder that cannot be made or written is the same as no memory.
 * Entries are written whole, then renamed. When it holds more than MAX_ENTRIES, it is emptied
 * before the next entry is written.
 */
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { randomBytes } from "node:crypto";
import type { ValidationMemory } from "../../compiler/emit/cedar/validate.js";

/** More remembered inputs than a person's projects need; past it the folder starts again. */
export const MAX_ENTRIES = 4096;

const KEY = /^[0-9a-f]{64}$/;

/** The folder the memory keeps its entries in, or undefined where there is none. */
export function validationMemoryDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  const xdg = env.XDG_CACHE_HOME;
  const home = env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
  const base = xdg && isAbsolute(xdg) ? xdg : home ? join(home, ".cache") : undefined;
  return base ? join(base, "symbi", "cedar-validated") : undefined;
}

/** The user running this process, where the platform has one. */
function uid(): number | undefined {
  return typeof process.getuid === "function" ? process.getuid() : undefined;
}

/** `path` is a folder (not a link) of this user that no one else can write into. */
function privateFolder(path: string, me: number): boolean {
  try {
    const s = lstatSync(path);
    return s.isDirectory() && s.uid === me && (s.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

class DiskValidationMemory implements ValidationMemory {
  constructor(
    private readonly dir: string,
    private readonly me: number,
  ) {}

  /** The folder and its parent are private to this user (the parent: else the folder could be swapped). */
  private usable(): boolean {
    return privateFolder(join(this.dir, ".."), this.me) && privateFolder(this.dir, this.me);
  }

  has(key: string): boolean {
    if (!KEY.test(key) || !this.usable()) return false;
    const file = join(this.dir, key);
    try {
      const s = lstatSync(file);
      if (!s.isFile() || s.uid !== this.me || (s.mode & 0o022) !== 0 || s.size !== key.length + 1) return false;
      return readFileSync(file, "utf8") === `${key}\n`;
    } catch {
      return false;
    }
  }

  remember(key: string): void {
    if (!KEY.test(key)) return;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      if (!this.usable()) return;
      const entries = readdirSync(this.dir);
      if (entries.length >= MAX_ENTRIES) for (const f of entries) rmSync(join(this.dir, f), { force: true });
      const part = join(this.dir, `${key}.${process.pid}.${randomBytes(4).toString("hex")}.part`);
      const fd = openSync(part, "wx", 0o600);
      try {
        writeSync(fd, `${key}\n`);
      } finally {
        closeSync(fd);
      }
      renameSync(part, join(this.dir, key));
    } catch {
      // Not remembered: the next run validates again.
    }
  }
}

/** The memory of this user's passed validations, or undefined where there is no place for it. */
export function validationMemory(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ValidationMemory | undefined {
  const dir = validationMemoryDir(env);
  const me = uid();
  return dir !== undefined && me !== undefined ? new DiskValidationMemory(dir, me) : undefined;
}
