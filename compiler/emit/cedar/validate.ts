/**
 * Strict validation of the generated policies against the generated schema with cedar-wasm, as
 * part of every build. A failure is a compiler bug (the analysis should have rejected whatever
 * Cedar rejects); it is reported as E0611 on the DSL range the offending Cedar text came from.
 *
 * cedar-wasm notes: `validate()` answers `type: "success"` even when policies fail validation —
 * the errors are in `validationErrors`; error positions are UTF-8 byte offsets into the policy's
 * own text (policies are passed as an id → text map, so they keep our ids).
 *
 * A build in memory (`symbi exec FILE.symbi`, `symbic test`) may pass a ValidationMemory: the
 * inputs Cedar has already validated without an error. Validation is a pure function of its
 * input and of the Cedar build, so an input remembered under the same key — the SHA-256 of the
 * Cedar versions, the mode, the schema and every policy's id and text — has the same answer,
 * and Cedar is not asked again (~60 ms of a run: most of it compiling Cedar's validator). Only
 * inputs that passed are remembered; a failure is found and reported again each time.
 */
import { createHash } from "node:crypto";
import * as cedar from "../../../formats/cedar-wasm.js";
import type { SchemaJson } from "../../../formats/cedar-wasm.js";
import type { Span } from "../../../grammar/span.js";
import { diagnostic, type Diagnostic } from "../../diagnostics/model.js";
import type { EmittedPolicy } from "./policies.js";

/** UTF-8 byte offset → UTF-16 offset in `text`. */
export function byteToUtf16(text: string, byteOffset: number): number {
  const bytes = Buffer.from(text, "utf8");
  return bytes.subarray(0, Math.max(0, Math.min(byteOffset, bytes.length))).toString("utf8").length;
}

export interface CedarValidation {
  diagnostics: Diagnostic[];
  /** CPU milliseconds spent in cedar-wasm's validation (for the benchmark). */
  millis: number;
  /** The input had passed before (a ValidationMemory remembered it): Cedar was not asked. */
  remembered?: boolean;
}

/** Validation inputs that passed (keys: validationKey); runtime/exec/validation-memory.ts keeps them on disk. */
export interface ValidationMemory {
  has(key: string): boolean;
  remember(key: string): void;
}

/** The validation mode, part of the key. */
const MODE = "strict";

/** What identifies a validation's input and the Cedar that answers it: a SHA-256, hex. */
export function validationKey(policies: readonly EmittedPolicy[], schema: SchemaJson<string>): string {
  const input = ["symbi-cedar-validation/1", cedar.cedarVersions(), MODE, schema, policies.map((p) => [p.id, p.text])];
  return createHash("sha256").update(JSON.stringify(input)).digest("hex");
}

export function validatePolicies(
  policies: readonly EmittedPolicy[],
  schema: SchemaJson<string>,
  fallback: { file: string; span: Span },
  memory?: ValidationMemory,
): CedarValidation {
  const key = memory ? validationKey(policies, schema) : undefined;
  if (key !== undefined && memory!.has(key)) return { diagnostics: [], millis: 0, remembered: true };
  const byId = new Map(policies.map((p) => [p.id, p]));
  const staticPolicies: Record<string, string> = {};
  for (const p of policies) staticPolicies[p.id] = p.text;
  const c0 = process.cpuUsage();
  const answer = cedar.cedarValidate({ schema, policies: { staticPolicies }, validationSettings: { mode: MODE } });
  const c = process.cpuUsage(c0);
  const millis = (c.user + c.system) / 1000;
  const diagnostics: Diagnostic[] = [];
  if (answer.type === "failure") {
    for (const e of answer.errors) {
      diagnostics.push(
        diagnostic({
          code: "E0611",
          message: `Cedar rejected the generated policies or schema: ${e.message}`,
          file: fallback.file,
          span: fallback.span,
          ...(e.help ? { help: e.help } : {}),
        }),
      );
    }
    return { diagnostics, millis };
  }
  for (const v of [...answer.validationErrors, ...answer.validationWarnings]) {
    const p = byId.get(v.policyId);
    const loc = v.error.sourceLocations?.[0];
    let file = fallback.file;
    let span = fallback.span;
    if (p) {
      file = p.rule.file;
      span = p.rule.span;
      if (loc) span = p.writer.spanAt(byteToUtf16(p.text, loc.start)) ?? span;
    }
    const isWarning = answer.validationWarnings.includes(v);
    if (isWarning) continue; // Cedar's warnings (e.g. mixed scripts in strings) are not about faithfulness.
    diagnostics.push(
      diagnostic({
        code: "E0611",
        message: `generated Cedar policy ${v.policyId} failed strict validation: ${v.error.message}`,
        file,
        span,
        help: v.error.help ?? "this is a symbic bug; please report it with this rule",
      }),
    );
  }
  if (key !== undefined && answer.validationErrors.length === 0) memory!.remember(key);
  return { diagnostics, millis };
}
