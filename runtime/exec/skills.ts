/**
 * The skills a run gives the model: the bundle pins each skill its agent names
 * (`skills/<folder>.manifest.json`, written by `symbic build` after the scan: every file's hash
 * and the root hash), and the run reads the skill from the project on disk and refuses it —
 * before anything runs — when any file was added, removed or changed since the build. The
 * instructions given to the model (SKILL.md after its front matter) come from the very bytes
 * whose hash was compared. A skill's scripts are never run by this: they run only as tools of
 * the project, under their contracts.
 */
import { lstatSync, readFileSync } from "node:fs";
import { join, relative, resolve, isAbsolute } from "node:path";
import { isSafeBundlePath } from "../../formats/bundle.js";
import { ExitCode } from "../../formats/exit-codes.js";
import { describeFsError } from "../../formats/fs-errors.js";
import { isPlainObject } from "../../formats/json.js";
import { SchemaPinError } from "../../schemapin/errors.js";
import {
  compareManifests,
  digestSkill,
  rootHashOfManifest,
  skillFileDigest,
  verifySkill,
} from "../../schemapin/skill.js";
import type { SchemaPinVerifier } from "../../schemapin/verify.js";
import type { FrontMatterResult } from "../../skills/front-matter.js";

/** Skill signatures required by the operator (`[skills] require_signatures`): how they are verified, and where that was set. */
export interface SkillSignaturePolicy {
  verifier: SchemaPinVerifier;
  /** Where the requirement was set (for messages): `operator file …:3:1`. */
  source: string;
}

/** A skill as the model gets it. */
export interface LoadedSkill {
  /** The folder, relative to the project root (as the agent names it). */
  folder: string;
  /** `name` from the front matter. */
  name: string;
  description: string;
  /** The pinned root hash (`sha256:<hex>`), recorded in the audit log. */
  hash: string;
  /** SKILL.md after its front matter. */
  instructions: string;
  /** When signatures are required: the signer's domain and key fingerprint. */
  signedBy?: { domain: string; fingerprint: string };
}

/** A pinned skill that cannot be given to the model (changed, missing, unreadable): exit 3, before the run starts. */
export class SkillPinError extends Error {
  override readonly name = "SkillPinError";
  readonly exitCode = ExitCode.CheckFailed;
}

const MANIFEST = /^skills\/(.+)\.manifest\.json$/;
const HASH = /^sha256:[0-9a-f]{64}$/;
const SKILL_FILE = "SKILL.md";

interface PinnedSkill {
  folder: string;
  hash: string;
  files: Record<string, string>;
}

function parsePin(path: string, bytes: Buffer, origin: string): PinnedSkill {
  const bad = (why: string) => new SkillPinError(`${origin}: ${path}: ${why}`);
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(v) || typeof v.skill !== "string" || typeof v.skill_hash !== "string")
    throw bad("needs `skill`, `skill_hash` and `file_manifest`");
  // The folder is the one the compiler resolved (the manifest's own path); `skill` is the name
  // as the agent wrote it (`./skills/triage` and `skills/triage` are one folder).
  const folder = MANIFEST.exec(path)![1]!;
  if (!isSafeBundlePath(folder)) throw bad("is not a skill folder of the project");
  if (!HASH.test(v.skill_hash)) throw bad("`skill_hash` must be sha256:<64 hex digits>");
  const files = v.file_manifest;
  if (!isPlainObject(files) || Object.values(files).some((h) => typeof h !== "string" || !HASH.test(h)))
    throw bad("`file_manifest` must map each file to sha256:<64 hex digits>");
  const pinned = files as Record<string, string>;
  if (`sha256:${rootHashOfManifest(pinned).toString("hex")}` !== v.skill_hash)
    throw bad("`skill_hash` is not the root hash of `file_manifest`");
  if (pinned[SKILL_FILE] === undefined) throw bad(`the manifest has no ${SKILL_FILE}`);
  return { folder, hash: v.skill_hash, files: pinned };
}

/** The skills a bundle pins, in folder order (none when it names none). */
export function pinnedSkills(files: ReadonlyMap<string, Buffer>, origin: string): PinnedSkill[] {
  const out: PinnedSkill[] = [];
  for (const [path, bytes] of files) if (MANIFEST.test(path)) out.push(parsePin(path, bytes, origin));
  return out.sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0));
}

/**
 * Reads each skill the bundle pins from `projectRoot` and checks it against its pin; throws
 * SkillPinError naming what changed. `projectRoot` undefined: a bundle that pins skills is refused
 * (there is nowhere to read them from). With `signatures`, each skill must also carry a valid
 * SchemaPin signature (`.schemapin.sig`) of exactly the pinned content.
 */
export async function loadPinnedSkills(
  files: ReadonlyMap<string, Buffer>,
  origin: string,
  projectRoot: string | undefined,
  signatures?: SkillSignaturePolicy,
): Promise<LoadedSkill[]> {
  const pins = pinnedSkills(files, origin);
  if (pins.length === 0) return [];
  // The front matter's reader (and its YAML parser) is loaded only for a bundle that pins skills.
  const { parseSkillFrontMatter } = await import("../../skills/front-matter.js");
  const skills = readPinnedSkills(pins, origin, projectRoot, parseSkillFrontMatter);
  if (!signatures) return skills;
  for (const skill of skills) {
    const dir = resolve(projectRoot!, skill.folder);
    const where = `skill ${skill.folder} (in ${projectRoot})`;
    try {
      const v = await verifySkill(dir, signatures.verifier);
      // The signature covers the folder as it is now, which was just compared with the pin; a
      // change in between shows as a different hash here.
      if (v.skillHash !== skill.hash)
        throw new SkillPinError(`${where} changed while it was being verified; review it and rebuild`);
      skill.signedBy = { domain: v.domain, fingerprint: v.fingerprint };
    } catch (e) {
      if (e instanceof SchemaPinError)
        throw new SkillPinError(`${where}: signatures are required (${signatures.source}): ${e.message}`);
      throw e;
    }
  }
  return skills;
}

function readPinnedSkills(
  pins: readonly PinnedSkill[],
  origin: string,
  projectRoot: string | undefined,
  parseSkillFrontMatter: (text: string) => FrontMatterResult,
): LoadedSkill[] {
  if (projectRoot === undefined)
    throw new SkillPinError(`${origin}: the agent uses skills, but no project folder was given to read them from`);
  return pins.map((pin) => {
    const dir = resolve(projectRoot, pin.folder);
    const rel = relative(resolve(projectRoot), dir);
    if (rel.startsWith("..") || isAbsolute(rel))
      throw new SkillPinError(`${origin}: skill ${pin.folder} is outside the project`);
    const where = `skill ${pin.folder} (in ${projectRoot})`;
    let current: Record<string, string>;
    try {
      current = digestSkill(dir).manifest;
    } catch (e) {
      if (e instanceof SchemaPinError) throw new SkillPinError(`${where}: cannot be read as built: ${e.message}`);
      throw e;
    }
    const diff = compareManifests(current, pin.files);
    const changes = [
      ...diff.modified.map((f) => `changed ${f}`),
      ...diff.added.map((f) => `added ${f}`),
      ...diff.removed.map((f) => `removed ${f}`),
    ];
    if (changes.length > 0)
      throw new SkillPinError(
        `${where} is not the skill the bundle was built with (${changes.join(", ")}); review it and rebuild`,
      );
    // The instructions come from bytes compared here, not from a second read after the digest.
    const path = join(dir, SKILL_FILE);
    let bytes: Buffer;
    try {
      if (!lstatSync(path).isFile()) throw new Error("not a regular file");
      bytes = readFileSync(path);
    } catch (e) {
      throw new SkillPinError(`${where}: cannot read ${SKILL_FILE}: ${describeFsError(e)}`);
    }
    if (skillFileDigest(SKILL_FILE, bytes) !== pin.files[SKILL_FILE])
      throw new SkillPinError(`${where}: ${SKILL_FILE} changed while it was being read; review it and rebuild`);
    const fm = parseSkillFrontMatter(bytes.toString("utf8"));
    if (!fm.ok) throw new SkillPinError(`${where}: ${SKILL_FILE}:${fm.line}: ${fm.message}`);
    return {
      folder: pin.folder,
      name: fm.value.name,
      description: fm.value.description,
      hash: pin.hash,
      instructions: fm.value.body.trim(),
    };
  });
}
