/**
 * Errors raised while agent code runs. Two families:
 *
 * - `DslError`: catchable by `try`/`catch`. `catch (e)` binds a record of the stdlib type
 *   `Error` — `kind`, `message`, `details` (with `location`, "file:line:col"), and for a
 *   denial the `rule` and `reason`; `catch (K e)` catches only errors whose kind is `K`
 *   (`catch (Error e)` catches every one).
 * - `FatalError`: ends the run; no `catch` sees it (the `with` timeout, the step and recursion
 *   budgets, a sandbox that cannot run, an audit log that cannot be written). Letting agent
 *   code catch these would let it outlive its budget or act without a record.
 *
 * Both carry the DSL span they happened at, so the CLI prints `file:line:col: message`.
 */
import type { Span } from "../../grammar/span.js";
import { record, type MapValue, type Value } from "./values.js";

/** Kinds of catchable errors the runtime raises. Agent code may match any of them by name. */
export type DslErrorKind =
  /** Evaluation failed: wrong operand types, unknown name, index out of range, division by zero... */
  | "RuntimeError"
  /** The policy gate denied a tool call (or its approval was refused); the tool never started. */
  | "PolicyDenied"
  /** A tool's arguments do not satisfy its contract; the tool never started. */
  | "ArgumentError"
  /** The tool ran and failed: non-zero exit, killed on its timeout, output that does not parse. */
  | "ToolError"
  /** A `vault://` reference: this runtime has no secret store. */
  | "VaultError"
  /** A tool ran past its own `timeout_seconds` and was killed. */
  | "Timeout"
  /** Raised by agent code (`error("...")`, `unwrap` of None) or a builtin on bad input. */
  | "Error";

/** Kinds of errors that end the run. */
export type FatalKind =
  | "Timeout"
  | "StepLimit"
  | "RecursionLimit"
  | "SandboxError"
  | "AuditError"
  | "Aborted"
  | "InternalError"
  /** The model provider cannot be used: bad configuration, rejected key, exhausted quota, a replay that diverged. */
  | "ModelError";

export interface SourceLocation {
  file: string;
  span: Span;
}

export function formatLocation(loc: SourceLocation | undefined): string {
  return loc ? `${loc.file}:${loc.span.line}:${loc.span.col}` : "<unknown>";
}

export interface DslErrorInfo {
  /** For PolicyDenied: the id of the rule that denied (`<agent>.<policy>.<n>`, or "default-deny"). */
  rule?: string;
  /** For PolicyDenied: why, in one sentence. */
  reason?: string;
  /** Anything else worth showing (`tool`, `exit_code`, `rules`...), as the record `e.details`. */
  details?: Record<string, Value>;
}

export class DslError extends Error {
  override readonly name = "DslError";
  readonly rule: string;
  readonly reason: string;
  readonly details: Record<string, Value>;

  constructor(
    readonly kind: DslErrorKind | string,
    message: string,
    public location?: SourceLocation,
    info: DslErrorInfo = {},
  ) {
    super(message);
    this.rule = info.rule ?? "";
    this.reason = info.reason ?? "";
    this.details = info.details ?? {};
  }

  /**
   * The record `catch (e)` binds, of the stdlib type `Error`: `{ kind, message, details, rule,
   * reason }`; `details.location` is where the error happened ("file:line:col").
   */
  toValue(): MapValue {
    return record(
      {
        kind: this.kind,
        message: this.message,
        details: record({ location: formatLocation(this.location), ...this.details }),
        rule: this.rule,
        reason: this.reason,
      },
      "Error",
    );
  }
}

export class FatalError extends Error {
  override readonly name = "FatalError";
  constructor(
    readonly kind: FatalKind,
    message: string,
    public location?: SourceLocation,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `return` unwinding to the nearest function, lambda or `with` boundary. Not an error. */
export class ReturnSignal {
  constructor(readonly value: Value) {}
}

/** `file:line:col: kind: message` — the one line the CLI prints for an error that ended a run. */
export function describeRunError(e: DslError | FatalError): string {
  const where = e.location ? `${formatLocation(e.location)}: ` : "";
  return `${where}${e.kind}: ${e.message}`;
}
