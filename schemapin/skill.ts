/**
 * SchemaPin skill signatures (SkillSigner, v1.3/v1.4): a skill folder is hashed file by file —
 * `sha256(relative path in UTF-8 ‖ file bytes)`, paths with `/`, `.schemapin.sig` itself left
 * out — the root hash is the SHA-256 of the hex digests concatenated in path order, and the root
 * hash is signed like a schema hash. The manifest and signature live in `.schemapin.sig`.
 *
 * Where we are stricter than the SDKs (fail closed): they skip symbolic links when hashing, so a
 * link added after signing would go unnoticed; here a link or any non-regular file in the folder
 * refuses signing and verification. A file added, removed or changed since signing is named.
 */
import { closeSync, lstatSync, openSync, readFileSync, readSync, readdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { basename, join, resolve } from "node:path";
import { yamlLibrary } from "../formats/lazy-yaml.js";
import { isPlainObject } from "../formats/json.js";
import { writeFileAtomic } from "./atomic-file.js";
import { SchemaPinError, fsErrorText } from "./errors.js";
import { fingerprintOf } from "./keys.js";
import { checkCanonicalization, sha256, signSchemaPinHash } from "./signature.js";
import type { SchemaPinVerifier, VerificationResult } from "./verify.js";
import { createPublicKey, type KeyObject } from "node:crypto";

export const SKILL_SIGNATURE_FILE = ".schemapin.sig";

export interface SkillDigest {
  /** Relative path (`/`-separated) → `sha256:<hex>`. */
  manifest: Record<string, string>;
  rootHash: Buffer;
  /** The concatenated hex digests whose SHA-256 is the root hash (the Go SDK signs this directly). */
  preimage: string;
}

/** Entries that cannot be covered by a signature: links and special files. */
export interface UncoveredEntry {
  path: string;
  kind: "symlink" | "special";
}

function hashFile(path: string, rel: string): string {
  const h = createHash("sha256").update(Buffer.from(rel, "utf8"));
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 16);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}

/** A file's manifest entry from bytes already read (`sha256:<hex>` of its path and bytes), as digestSkill computes it. */
export function skillFileDigest(rel: string, bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(Buffer.from(rel, "utf8")).update(bytes).digest("hex")}`;
}

function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Hashes a skill folder; throws SCHEMA_CANONICALIZATION_FAILED when it has links, special or unreadable files, or no files. */
export function digestSkill(dir: string): SkillDigest {
  const root = resolve(dir);
  const manifest: Record<string, string> = {};
  const uncovered: UncoveredEntry[] = [];
  const walk = (abs: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(abs);
    } catch (err) {
      throw new SchemaPinError("SCHEMA_CANONICALIZATION_FAILED", `cannot read folder ${abs}: ${fsErrorText(err)}`);
    }
    for (const name of names.sort(compareUtf16)) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (!rel && name === SKILL_SIGNATURE_FILE) continue;
      const childAbs = join(abs, name);
      const st = lstatSync(childAbs);
      if (st.isSymbolicLink()) uncovered.push({ path: childRel, kind: "symlink" });
      else if (st.isDirectory()) walk(childAbs, childRel);
      else if (st.isFile()) {
        try {
          manifest[childRel] = `sha256:${hashFile(childAbs, childRel)}`;
        } catch (err) {
          throw new SchemaPinError("SCHEMA_CANONICALIZATION_FAILED", `cannot read ${childAbs}: ${fsErrorText(err)}`);
        }
      } else uncovered.push({ path: childRel, kind: "special" });
    }
  };
  try {
    if (!lstatSync(root).isDirectory()) throw new Error("not a folder");
  } catch (err) {
    throw new SchemaPinError("SCHEMA_CANONICALIZATION_FAILED", `${dir} is not a skill folder: ${fsErrorText(err)}`);
  }
  walk(root, "");
  if (uncovered.length > 0) {
    throw new SchemaPinError(
      "SCHEMA_CANONICALIZATION_FAILED",
      `${dir}: ${uncovered.map((u) => `${u.path} (${u.kind === "symlink" ? "symbolic link" : "not a regular file"})`).join(", ")} cannot be covered by a signature; remove ${uncovered.length === 1 ? "it" : "them"}`,
    );
  }
  const paths = Object.keys(manifest).sort(compareUtf16);
  if (paths.length === 0) throw new SchemaPinError("SCHEMA_CANONICALIZATION_FAILED", `${dir} has no files to sign`);
  const preimage = paths.map((p) => manifest[p]!.slice("sha256:".length)).join("");
  return { manifest, rootHash: sha256(preimage), preimage };
}

/** The root hash from a manifest alone (what a signature document claims). */
export function rootHashOfManifest(manifest: Record<string, string>): Buffer {
  const paths = Object.keys(manifest).sort(compareUtf16);
  return sha256(paths.map((p) => manifest[p]!.replace(/^sha256:/, "")).join(""));
}

/** The skill's name: `name` in SKILL.md's YAML front matter, else the folder's name. */
export function skillName(dir: string): string {
  try {
    const text = readFileSync(join(dir, "SKILL.md"), "utf8");
    const m = /^---\r?\n([\s\S]*?)\r?\n---\r?(?:\n|$)/.exec(text);
    if (m) {
      const fm = yamlLibrary().parse(m[1]!) as unknown;
      if (isPlainObject(fm) && typeof fm["name"] === "string" && fm["name"].trim()) return fm["name"].trim();
    }
  } catch {
    /* no SKILL.md or unparseable front matter: the folder's name */
  }
  return basename(resolve(dir));
}

export interface SkillSignatureDocument {
  schemapin_version: string;
  skill_name: string;
  skill_hash: string;
  signature: string;
  signed_at: string;
  expires_at?: string;
  canonicalization?: string;
  domain: string;
  signer_kid: string;
  file_manifest: Record<string, string>;
}

function rfc3339Seconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Signs a skill folder and writes `.schemapin.sig` atomically; returns the document. */
export function signSkill(
  dir: string,
  privateKey: KeyObject,
  domain: string,
  opts: { now?: Date; expiresInMs?: number; name?: string } = {},
): SkillSignatureDocument {
  const digest = digestSkill(dir);
  const now = opts.now ?? new Date();
  // Field order as the SDKs write it; `expires_at` (v1.4) goes after `signed_at`.
  const doc: SkillSignatureDocument = {
    schemapin_version: opts.expiresInMs !== undefined ? "1.4" : "1.3",
    skill_name: opts.name ?? skillName(dir),
    skill_hash: `sha256:${digest.rootHash.toString("hex")}`,
    signature: signSchemaPinHash(digest.rootHash, privateKey),
    signed_at: rfc3339Seconds(now),
    ...(opts.expiresInMs !== undefined
      ? { expires_at: rfc3339Seconds(new Date(now.getTime() + opts.expiresInMs)) }
      : {}),
    domain,
    signer_kid: fingerprintOf(createPublicKey(privateKey)),
    file_manifest: digest.manifest,
  };
  writeFileAtomic(join(dir, SKILL_SIGNATURE_FILE), JSON.stringify(doc, null, 2) + "\n");
  return doc;
}

export interface TamperReport {
  modified: string[];
  added: string[];
  removed: string[];
}

export function compareManifests(current: Record<string, string>, signed: Record<string, string>): TamperReport {
  const cur = Object.keys(current);
  const sig = new Set(Object.keys(signed));
  return {
    modified: cur.filter((k) => sig.has(k) && current[k] !== signed[k]).sort(compareUtf16),
    added: cur.filter((k) => !sig.has(k)).sort(compareUtf16),
    removed: [...sig].filter((k) => !(k in current)).sort(compareUtf16),
  };
}

export function readSkillSignature(dir: string): SkillSignatureDocument {
  const path = join(dir, SKILL_SIGNATURE_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === "ENOENT"
        ? "the skill is not signed (no .schemapin.sig)"
        : fsErrorText(err);
    throw new SchemaPinError("SIGNATURE_INVALID", `${path}: ${why}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new SchemaPinError("SIGNATURE_INVALID", `${path}: not valid JSON (${(err as Error).message})`);
  }
  const bad = (why: string) => new SchemaPinError("SIGNATURE_INVALID", `${path}: ${why}`);
  if (!isPlainObject(v)) throw bad("not a JSON object");
  for (const field of ["skill_name", "skill_hash", "signature", "domain"]) {
    if (typeof v[field] !== "string" || v[field] === "") throw bad(`"${field}" must be a non-empty string`);
  }
  const manifest = v["file_manifest"];
  if (!isPlainObject(manifest) || !Object.values(manifest).every((h) => typeof h === "string")) {
    throw bad(`"file_manifest" must map file paths to "sha256:<hex>" strings`);
  }
  return v as unknown as SkillSignatureDocument;
}

export interface SkillVerification extends VerificationResult {
  skillHash: string;
  files: number;
  expired: boolean;
  warnings: string[];
}

/**
 * Verifies a signed skill folder: canonicalization identifier, the folder against the signed
 * manifest (naming what changed), the root hash, then the signature with the domain's key
 * (discovery, revocation, pin). `expectedDomain`, when given, must be the signature's domain.
 */
export async function verifySkill(
  dir: string,
  verifier: SchemaPinVerifier,
  opts: { expectedDomain?: string; now?: Date } = {},
): Promise<SkillVerification> {
  const sig = readSkillSignature(dir);
  checkCanonicalization(sig.canonicalization);
  if (opts.expectedDomain && sig.domain.toLowerCase() !== opts.expectedDomain.toLowerCase()) {
    throw new SchemaPinError("DOMAIN_MISMATCH", `${dir} is signed for ${sig.domain}, not ${opts.expectedDomain}`);
  }
  const digest = digestSkill(dir);
  const t = compareManifests(digest.manifest, sig.file_manifest);
  if (t.modified.length + t.added.length + t.removed.length > 0) {
    const parts = [
      t.modified.length ? `changed: ${t.modified.join(", ")}` : "",
      t.added.length ? `added: ${t.added.join(", ")}` : "",
      t.removed.length ? `removed: ${t.removed.join(", ")}` : "",
    ].filter(Boolean);
    throw new SchemaPinError("SIGNATURE_INVALID", `${dir} was edited after it was signed (${parts.join("; ")})`);
  }
  const root = `sha256:${digest.rootHash.toString("hex")}`;
  if (sig.skill_hash.toLowerCase() !== root) {
    throw new SchemaPinError(
      "SIGNATURE_INVALID",
      `${dir}: skill_hash ${sig.skill_hash} is not the hash of its manifest (${root})`,
    );
  }
  // The pin is per skill name as the content names it (SKILL.md is covered by the hash), not as
  // the signature document claims it.
  const result = await verifier.verifyHash(sig.domain, skillName(dir), digest.rootHash, digest.preimage, sig.signature);
  const warnings: string[] = [];
  let expired = false;
  if (sig.expires_at !== undefined) {
    const t2 = Date.parse(sig.expires_at);
    if (Number.isNaN(t2)) warnings.push("signature_expires_at_unparseable");
    else if (t2 <= (opts.now ?? new Date()).getTime()) {
      expired = true;
      warnings.push(`signature_expired (${sig.expires_at})`);
    }
  }
  return { ...result, skillHash: root, files: Object.keys(digest.manifest).length, expired, warnings };
}
