/**
 * The audit storage folder (`[security] audit_storage_path`): the live log `audit.log` with its
 * head and lock beside it, and sealed archives in `archive/`.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AuditError, describeFsError } from "./errors.js";

export const AUDIT_LOG_FILE = "audit.log";
export const ARCHIVE_FOLDER = "archive";

/** The live log of a storage folder. */
export function auditLogIn(storage: string): string {
  return join(storage, AUDIT_LOG_FILE);
}

/** Creates the storage folder (owner and group only) when it does not exist yet. */
export function ensureStorage(storage: string): void {
  try {
    mkdirSync(storage, { recursive: true, mode: 0o750 });
  } catch (err) {
    throw new AuditError("IO", `cannot create the audit storage folder ${storage}: ${describeFsError(err)}`);
  }
}
