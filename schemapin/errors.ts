/**
 * SchemaPin's error codes (the specification's structured verification codes, v1.4) and the one
 * error type this module throws. The error is user-facing in both CLIs: it carries an exit code
 * (3, a verification failure; 1 for I/O on our own files such as the trust store), so
 * runtime/cli/errors.ts prints its message as one line.
 */
import { ExitCode } from "../formats/exit-codes.js";

export const SCHEMAPIN_ERROR_CODES = [
  "SIGNATURE_INVALID",
  "KEY_NOT_FOUND",
  "KEY_REVOKED",
  "KEY_PIN_MISMATCH",
  "DISCOVERY_FETCH_FAILED",
  "DISCOVERY_INVALID",
  "DOMAIN_MISMATCH",
  "SCHEMA_CANONICALIZATION_FAILED",
  "CANONICALIZATION_UNSUPPORTED",
  "BUNDLE_UNSIGNED",
  "BUNDLE_EXPIRED",
] as const;

export type SchemaPinErrorCode = (typeof SCHEMAPIN_ERROR_CODES)[number];

/** A refused verification (or a document we cannot use), with the specification's code. */
export class SchemaPinError extends Error {
  override readonly name = "SchemaPinError";
  constructor(
    readonly code: SchemaPinErrorCode,
    message: string,
    readonly exitCode: number = ExitCode.CheckFailed,
  ) {
    super(`${code}: ${message}`);
  }
}

/** An I/O failure on a file this module owns (the trust store, a key file): exit 1, not a verdict. */
export class TrustStoreError extends Error {
  override readonly name = "TrustStoreError";
  readonly exitCode = ExitCode.Error;
}

export function fsErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === "string") {
    switch (e.code) {
      case "ENOENT":
        return "no such file or directory";
      case "EACCES":
      case "EPERM":
        return "permission denied";
      case "EISDIR":
        return "is a directory";
      case "ENOTDIR":
        return "a path component is not a directory";
      default:
        return e.code;
    }
  }
  return err instanceof Error ? err.message : String(err);
}
