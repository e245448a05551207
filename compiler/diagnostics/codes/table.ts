import type { Severity } from "../model.js";

/** One row of the code table: the code's default severity, a short title and a longer explanation. */
export interface CodeInfo {
  severity: Severity;
  title: string;
  explanation: string;
}

export type CodeTable = Record<string, CodeInfo>;
