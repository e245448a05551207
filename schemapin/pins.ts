/**
 * The TOFU trust store (§7.2, §9 "Key Pinning"): which key fingerprint is pinned for a tool of a
 * domain, and which key for a trust-bundle authority `kid` (§21.4). One JSON file whose location
 * is configurable (`--trust-store`, `SYMBI_TRUST_STORE`, default `~/.symbi/trust-store.json`).
 *
 * Safety: every change re-reads the file under a lock and replaces it atomically
 * (atomic-file.ts), so two processes pinning at once both keep their pins and a crash never
 * loses an existing pin. A store that cannot be read or parsed is an error, never "empty": an
 * unreadable store treated as empty would re-pin whatever key is served next.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isPlainObject } from "../formats/json.js";
import { SchemaPinError, TrustStoreError, fsErrorText } from "./errors.js";
import { normalizeFingerprint } from "./keys.js";
import { ensureDirectory, withFileLock, writeFileAtomic } from "./atomic-file.js";

export const TRUST_STORE_ENV = "SYMBI_TRUST_STORE";
const FORMAT = "symbi-schemapin-trust-store/1";

export interface KeyPin {
  domain: string;
  tool: string;
  fingerprint: string;
  pinnedAt: string;
  developerName?: string;
}

export interface AuthorityPin {
  kid: string;
  fingerprint: string;
  pinnedAt: string;
}

/** A key seen for a tool but not pinned (yet): when it was first seen, for `[tofu] trust_on_first_use_timeout_hours`. */
export interface SeenKey {
  domain: string;
  tool: string;
  fingerprint: string;
  firstSeenAt: string;
}

interface StoreData {
  keys: KeyPin[];
  authorities: AuthorityPin[];
  seen: SeenKey[];
}

export type PinOutcome = "pinned" | "first-use";

export function defaultTrustStorePath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[TRUST_STORE_ENV];
  if (fromEnv) return resolve(fromEnv);
  return join(homedir(), ".symbi", "trust-store.json");
}

function keyId(domain: string, tool: string): string {
  return `${domain.toLowerCase()}\u0000${tool}`;
}

export class TrustStore {
  private data: StoreData;

  constructor(readonly path: string) {
    this.data = readStore(path);
  }

  /** The pinned fingerprint for `tool` of `domain`, or null. */
  pinnedKey(domain: string, tool: string): KeyPin | null {
    const id = keyId(domain, tool);
    return this.data.keys.find((p) => keyId(p.domain, p.tool) === id) ?? null;
  }

  listKeys(): readonly KeyPin[] {
    return this.data.keys;
  }

  listAuthorities(): readonly AuthorityPin[] {
    return this.data.authorities;
  }

  /**
   * §15.1 step 4: the pinned key must be `fingerprint`; with no pin, `fingerprint` is pinned
   * (first use). A different pinned key is KEY_PIN_MISMATCH naming both fingerprints.
   */
  checkAndPin(domain: string, tool: string, fingerprint: string, developerName?: string | null): PinOutcome {
    const fp = normalizeFingerprint(fingerprint);
    if (!fp) throw new SchemaPinError("KEY_NOT_FOUND", `not a key fingerprint: ${fingerprint}`);
    const check = (pin: KeyPin | null): PinOutcome | null => {
      if (!pin) return null;
      if (pin.fingerprint === fp) return "pinned";
      throw new SchemaPinError(
        "KEY_PIN_MISMATCH",
        `the key for tool "${tool}" of ${domain} changed: pinned ${pin.fingerprint} (since ${pin.pinnedAt}), offered ${fp}; ` +
          `if the provider rotated its key, check the new fingerprint with them and unpin the old one`,
      );
    };
    const known = check(this.pinnedKey(domain, tool));
    if (known) return known;
    return this.update((data) => {
      this.data = data;
      const raced = check(this.pinnedKey(domain, tool));
      if (raced) return { changed: false, result: raced };
      const pin: KeyPin = { domain: domain.toLowerCase(), tool, fingerprint: fp, pinnedAt: new Date().toISOString() };
      if (developerName) pin.developerName = developerName;
      data.keys.push(pin);
      return { changed: true, result: "first-use" as const };
    });
  }

  /**
   * When `fingerprint` was first seen for `tool` of `domain` while not pinned: recorded now on its
   * first sighting, so a key offered again and again cannot restart the first-use window.
   */
  firstSeen(domain: string, tool: string, fingerprint: string, now = new Date()): Date {
    const fp = normalizeFingerprint(fingerprint);
    if (!fp) throw new SchemaPinError("KEY_NOT_FOUND", `not a key fingerprint: ${fingerprint}`);
    const id = keyId(domain, tool);
    const find = (data: StoreData) =>
      data.seen.find((k) => keyId(k.domain, k.tool) === id && k.fingerprint === fp) ?? null;
    const known = find(this.data);
    if (known) return new Date(known.firstSeenAt);
    return this.update((data) => {
      this.data = data;
      const raced = find(data);
      if (raced) return { changed: false, result: new Date(raced.firstSeenAt) };
      data.seen.push({ domain: domain.toLowerCase(), tool, fingerprint: fp, firstSeenAt: now.toISOString() });
      return { changed: true, result: now };
    });
  }

  /** Removes the pin of `tool` of `domain`; false when there was none. */
  unpin(domain: string, tool: string): boolean {
    return this.update((data) => {
      const id = keyId(domain, tool);
      const before = data.keys.length;
      data.keys = data.keys.filter((p) => keyId(p.domain, p.tool) !== id);
      this.data = data;
      return { changed: data.keys.length !== before, result: data.keys.length !== before };
    });
  }

  /** §21.4 step 3: TOFU for a trust-bundle authority, by `kid`. */
  checkAndPinAuthority(kid: string, fingerprint: string): PinOutcome {
    return this.update((data) => {
      this.data = data;
      const pin = data.authorities.find((a) => a.kid === kid);
      if (pin) {
        if (pin.fingerprint === fingerprint) return { changed: false, result: "pinned" as const };
        throw new SchemaPinError(
          "KEY_PIN_MISMATCH",
          `the trust-bundle authority "${kid}" changed its key: pinned ${pin.fingerprint}, offered ${fingerprint}`,
        );
      }
      data.authorities.push({ kid, fingerprint, pinnedAt: new Date().toISOString() });
      return { changed: true, result: "first-use" as const };
    });
  }

  private update<T>(change: (data: StoreData) => { changed: boolean; result: T }): T {
    ensureDirectory(dirname(this.path));
    return withFileLock(this.path, () => {
      const fresh = readStore(this.path);
      const { changed, result } = change(fresh);
      if (changed) writeFileAtomic(this.path, serialize(fresh), 0o600);
      return result;
    });
  }
}

function serialize(data: StoreData): string {
  const keys = [...data.keys].sort((a, b) => (keyId(a.domain, a.tool) < keyId(b.domain, b.tool) ? -1 : 1));
  const authorities = [...data.authorities].sort((a, b) => (a.kid < b.kid ? -1 : 1));
  const seen = [...data.seen].sort((a, b) =>
    keyId(a.domain, a.tool) + a.fingerprint < keyId(b.domain, b.tool) + b.fingerprint ? -1 : 1,
  );
  return JSON.stringify({ format: FORMAT, keys, authorities, ...(seen.length > 0 ? { seen } : {}) }, null, 2) + "\n";
}

function readStore(path: string): StoreData {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { keys: [], authorities: [], seen: [] };
    throw new TrustStoreError(`cannot read trust store ${path}: ${fsErrorText(err)}`);
  }
  const bad = (why: string) =>
    new TrustStoreError(`trust store ${path} is damaged (${why}); it was left as it is — restore it from a backup`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw bad((err as Error).message);
  }
  if (!isPlainObject(value) || value["format"] !== FORMAT) throw bad(`not a ${FORMAT} file`);
  const keys = value["keys"];
  const authorities = value["authorities"];
  if (!Array.isArray(keys) || !Array.isArray(authorities)) throw bad(`"keys" and "authorities" must be arrays`);
  const outKeys = keys.map((k, i): KeyPin => {
    if (!isPlainObject(k)) throw bad(`keys[${i}] is not an object`);
    const fp = normalizeFingerprint(k["fingerprint"]);
    const { domain, tool, pinnedAt, developerName } = k;
    if (!fp || typeof domain !== "string" || typeof tool !== "string" || typeof pinnedAt !== "string") {
      throw bad(`keys[${i}] needs domain, tool, fingerprint and pinnedAt`);
    }
    const pin: KeyPin = { domain, tool, fingerprint: fp, pinnedAt };
    if (typeof developerName === "string") pin.developerName = developerName;
    return pin;
  });
  const outAuthorities = authorities.map((a, i): AuthorityPin => {
    if (!isPlainObject(a)) throw bad(`authorities[${i}] is not an object`);
    const fp = normalizeFingerprint(a["fingerprint"]);
    if (!fp || typeof a["kid"] !== "string" || typeof a["pinnedAt"] !== "string") {
      throw bad(`authorities[${i}] needs kid, fingerprint and pinnedAt`);
    }
    return { kid: a["kid"], fingerprint: fp, pinnedAt: a["pinnedAt"] };
  });
  const seen = value["seen"] ?? [];
  if (!Array.isArray(seen)) throw bad(`"seen" must be an array`);
  const outSeen = seen.map((k, i): SeenKey => {
    if (!isPlainObject(k)) throw bad(`seen[${i}] is not an object`);
    const fp = normalizeFingerprint(k["fingerprint"]);
    const { domain, tool, firstSeenAt } = k;
    if (!fp || typeof domain !== "string" || typeof tool !== "string" || typeof firstSeenAt !== "string")
      throw bad(`seen[${i}] needs domain, tool, fingerprint and firstSeenAt`);
    return { domain, tool, fingerprint: fp, firstSeenAt };
  });
  return { keys: outKeys, authorities: outAuthorities, seen: outSeen };
}
