/**
 * Bundles (docs/bundle.md): the files of one compiled agent, `bundle.json` with the SHA-256 of
 * every other file, and writing them so that a build never leaves a half-written bundle: each
 * agent is written to a temporary folder beside its destination and renamed into place.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { makeFolders } from "../project/make-folders.js";
import { dirname, join } from "node:path";
import { BUNDLE_FORMAT, sha256Hex, type BundleFiles, type BundleManifest } from "../../formats/bundle.js";
import { canonicalJson } from "../../formats/json.js";

/**
 * Adds `bundle.json` to a bundle's files: canonical JSON (RFC 8785, sorted keys), listing every
 * other file with its SHA-256. Returns a new map with paths in sorted order.
 */
export function sealBundle(
  agent: string,
  files: BundleFiles,
  sources: Array<{ path: string; bytes: Buffer | string }>,
  compilerVersion: string,
  extra: { model?: string } = {},
): BundleFiles {
  const paths = [...files.keys()].filter((p) => p !== "bundle.json").sort();
  const hashes: Record<string, string> = {};
  for (const p of paths) hashes[p] = sha256Hex(files.get(p)!);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    agent,
    compiler: { name: "symbic", version: compilerVersion },
    sources: sources
      .map((s) => ({ path: s.path, sha256: sha256Hex(s.bytes) }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    files: hashes,
    ...(extra.model !== undefined ? { model: extra.model } : {}),
  };
  const out: BundleFiles = new Map();
  out.set("bundle.json", Buffer.from(canonicalJson(manifest) + "\n"));
  for (const p of paths) out.set(p, files.get(p)!);
  return out;
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes one bundle to `<outDir>/<agent>`: all files go to a fresh temporary folder, which then
 * replaces the old bundle (if any) by rename. On failure the temporary folder is removed and the
 * old bundle stays. Throws the I/O error.
 */
export function writeBundle(outDir: string, agent: string, files: BundleFiles): string {
  makeFolders(outDir);
  const dest = join(outDir, agent);
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmp = join(outDir, `.${agent}.tmp-${tag}`);
  const old = join(outDir, `.${agent}.old-${tag}`);
  try {
    mkdirSync(tmp);
    for (const [rel, data] of files) {
      const p = join(tmp, ...rel.split("/"));
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, data);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  let moved = false;
  try {
    if (exists(dest)) {
      renameSync(dest, old);
      moved = true;
    }
    renameSync(tmp, dest);
  } catch (e) {
    if (moved && !exists(dest)) renameSync(old, dest);
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (moved) rmSync(old, { recursive: true, force: true });
  return dest;
}
