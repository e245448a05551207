/**
 * The diagnostics model is declared once, in grammar/diagnostic.ts (the parser is its first
 * producer and grammar/ depends on nothing); this module adds the builder that reads the full
 * code table of every area.
 */
import { diagnosticFrom, type Diagnostic, type DiagnosticInit } from "../../grammar/diagnostic.js";
import { CODES } from "./codes/index.js";

export {
  compareDiagnostics,
  sortDiagnostics,
  hasErrors,
  type Severity,
  type TextEdit,
  type Fix,
  type RelatedInfo,
  type Diagnostic,
  type DiagnosticInit,
} from "../../grammar/diagnostic.js";

/** Builds a diagnostic, taking its severity from the code table so codes and severities never disagree. */
export function diagnostic(init: DiagnosticInit): Diagnostic {
  return diagnosticFrom(CODES, init);
}
