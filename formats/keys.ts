/**
 * Ed25519 key files, shared by everything that signs: the audit log (runtime/audit) and bundle
 * signatures (`symbic build --sign`, checked by `symbi exec`). `symbi keygen` writes them.
 * node:crypto does the signing (~15× faster than @noble/curves, DESIGN §2).
 *
 * Files: KEYFILE is PKCS#8 PEM with mode 0600; KEYFILE.pub is SPKI PEM. A key is identified by
 * its key id, the hex SHA-256 of the raw 32-byte public key (the audit log records it in its
 * genesis record and checkpoints, a bundle signature names it).
 *
 * Every signature covers a domain tag and a hex digest (`<domain>:<hex>`), so a key used for
 * several purposes never signs one kind of thing that verifies as another.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import {
  closeSync,
  fstatSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { describeFsError } from "./fs-errors.js";
import { sha256Hex } from "./digest.js";
import { ExitCode } from "./exit-codes.js";

/** A key file that is missing, unreadable, of the wrong kind or too widely readable: exit 1, one line. */
export class KeyError extends Error {
  override readonly name = "KeyError";
  /** Stable code, as AuditError's: "KEY". */
  readonly code = "KEY";
  readonly exitCode = ExitCode.Error;
}

export interface GeneratedKeyFiles {
  keyId: string;
  privateKeyPath: string;
  publicKeyPath: string;
}

/** Path of the public key written next to a private key file. */
export function publicKeyPathFor(privateKeyPath: string): string {
  return `${privateKeyPath}.pub`;
}

/**
 * Generates an Ed25519 key pair and writes KEYFILE (0600) and KEYFILE.pub. Without `force`, an
 * existing KEYFILE or KEYFILE.pub is an error and nothing is written; the files are first
 * written in full to temporaries and then linked (no overwrite) or renamed (force) into place,
 * so a failure never leaves half a key behind.
 */
export function generateKeyFiles(privateKeyPath: string, options: { force?: boolean } = {}): GeneratedKeyFiles {
  const publicKeyPath = publicKeyPathFor(privateKeyPath);
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const publicPem = publicKey.export({ type: "spki", format: "pem" }) as string;
  const tag = `.tmp-${process.pid}-${Date.now()}`;
  const privTmp = privateKeyPath + tag;
  const pubTmp = publicKeyPath + tag;
  const placed: string[] = [];
  try {
    writeNewFile(privTmp, privatePem, 0o600, privateKeyPath);
    writeNewFile(pubTmp, publicPem, 0o644, publicKeyPath);
    for (const [tmp, final] of [
      [privTmp, privateKeyPath],
      [pubTmp, publicKeyPath],
    ] as const) {
      if (options.force) renameSync(tmp, final);
      else {
        try {
          linkSync(tmp, final); // fails with EEXIST instead of overwriting
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "EEXIST") {
            throw new KeyError(`${final} already exists; pass --force to overwrite it`);
          }
          throw err;
        }
        placed.push(final);
      }
    }
  } catch (err) {
    for (const p of placed) tryUnlink(p);
    if (err instanceof KeyError) throw err;
    throw new KeyError(`cannot write key file ${privateKeyPath}: ${describeFsError(err)}`);
  } finally {
    tryUnlink(privTmp);
    tryUnlink(pubTmp);
  }
  return { keyId: keyIdOf(publicKey), privateKeyPath, publicKeyPath };
}

function writeNewFile(path: string, text: string, mode: number, shownAs: string): void {
  let fd: number;
  try {
    fd = openSync(path, "wx", mode);
  } catch (err) {
    throw new KeyError(`cannot write key file ${shownAs}: ${describeFsError(err)}`);
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

function readKeyFile(path: string, what: string): { pem: string; mode: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new KeyError(`${what} file ${path} not found`);
    throw new KeyError(`cannot read ${what} file ${path}: ${describeFsError(err)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new KeyError(`${what} file ${path} is not a regular file`);
    if (st.size > 64 * 1024) throw new KeyError(`${what} file ${path} is too large to be a PEM key`);
    return { pem: readFileSync(fd, "utf8"), mode: st.mode };
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw new KeyError(`cannot read ${what} file ${path}: ${describeFsError(err)}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads an Ed25519 private key from a PEM file. Refuses a file that group or others can read
 * (as ssh does): a signing key anyone can copy proves nothing.
 */
export function loadPrivateKey(path: string): KeyObject {
  const { pem, mode } = readKeyFile(path, "private key");
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new KeyError(
      `private key file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); run: chmod 600 ${path}`,
    );
  }
  if (!pem.includes("PRIVATE KEY")) {
    throw new KeyError(
      `${path} is not a PEM private key${pem.includes("PUBLIC KEY") ? " (it is a public key; pass the private key file)" : ""}`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    throw new KeyError(`${path} is not a readable PEM private key (${firstLine(err)})`);
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new KeyError(
      `${path} holds a ${key.asymmetricKeyType} key; signatures here use Ed25519 keys (make one with: symbi keygen --out FILE)`,
    );
  return key;
}

/** Loads an Ed25519 public key (SPKI PEM, as written to KEYFILE.pub). A private key is refused: verification needs only the public half. */
export function loadPublicKey(path: string): KeyObject {
  const { pem } = readKeyFile(path, "public key");
  if (pem.includes("PRIVATE KEY"))
    throw new KeyError(`${path} is a private key; pass the public key file (${publicKeyPathFor("KEYFILE")})`);
  if (!pem.includes("PUBLIC KEY")) throw new KeyError(`${path} is not a PEM public key`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch (err) {
    throw new KeyError(`${path} is not a readable PEM public key (${firstLine(err)})`);
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new KeyError(`${path} holds a ${key.asymmetricKeyType} key; signatures here use Ed25519`);
  return key;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split("\n")[0]!;
}

/** The raw 32-byte Ed25519 public key of a public or private KeyObject. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const jwk = pub.export({ format: "jwk" });
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw new KeyError("not an Ed25519 key");
  return Buffer.from(jwk.x, "base64url");
}

/** Key id: hex SHA-256 of the raw public key. Works on either half of the pair. */
export function keyIdOf(key: KeyObject): string {
  return sha256Hex(rawPublicKey(key));
}

/**
 * Base64 Ed25519 signature over `<domain>:<digest>` (the domain names what is signed, e.g.
 * `symbi-audit/1`; the digest is a hex SHA-256).
 */
export function signDigest(privateKey: KeyObject, domain: string, digest: string): string {
  return sign(null, Buffer.from(`${domain}:${digest}`, "utf8"), privateKey).toString("base64");
}

/** Whether `sig` (base64) is a valid signature of `<domain>:<digest>` by `publicKey`. */
export function verifyDigest(publicKey: KeyObject, domain: string, digest: string, sig: string): boolean {
  const bytes = Buffer.from(sig, "base64");
  if (bytes.length !== 64) return false;
  try {
    return verify(null, Buffer.from(`${domain}:${digest}`, "utf8"), publicKey, bytes);
  } catch {
    return false;
  }
}

/** The public key of a raw 32-byte Ed25519 key given in base64 (as logs and signatures carry it), or null. */
export function publicKeyFromRaw(base64: string): KeyObject | null {
  const raw = Buffer.from(base64, "base64");
  if (raw.length !== 32 || raw.toString("base64") !== base64) return null;
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
  } catch {
    return null;
  }
}
