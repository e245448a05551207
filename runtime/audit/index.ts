/**
 * The runtime's tamper-evident audit log (DESIGN §9). See README.md for the format, the
 * guarantees and their limits.
 */
export { AuditLog, DEFAULT_CHECKPOINT_EVERY, type AuditLogOptions } from "./writer.js";
export {
  verifyLog,
  describeResult,
  type VerifyOptions,
  type VerifyResult,
  type FirstBad,
  type FailureReason,
} from "./verify.js";
export { repairLog, type RepairOptions, type RepairReport } from "./repair.js";
export {
  generateKeyFiles,
  loadPrivateKey,
  loadPublicKey,
  keyIdOf,
  publicKeyPathFor,
  type GeneratedKeyFiles,
} from "./keys.js";
export { AuditError, type AuditErrorCode } from "./errors.js";
export { sha256Hex } from "../../formats/digest.js";
export { headPathFor } from "./head.js";
export { lockPathFor } from "./lock.js";
export { LOG_FORMAT, GENESIS_PREV, type AuditRecord, type RuntimeEventType } from "./record.js";
export type { SigningMode } from "./checks.js";
export type {
  AuditEvent,
  DetailsFor,
  EventDetailsByType,
  RunStartDetails,
  RunEndDetails,
  DecisionDetails,
  ApprovalDetails,
  ToolStartDetails,
  ToolEndDetails,
  ErrorDetails,
} from "./events.js";
export type { JsonObject, JsonValue } from "../../formats/json.js";
