/**
 * Tool doubles: what a test declares a tool prints, in place of running it (`symbic test` agent
 * tests). A call answered by a double takes every other step of the pipeline unchanged —
 * arguments bound and validated, argv built, the gate, approval, the audit records, the output
 * parsed and checked against the contract — only the sandbox run is replaced by the answer.
 *
 * Doubles exist only in the API (`ExecOptions.toolDoubles`): no command-line flag, configuration
 * key or bundle file can supply one, so a shipped agent always runs its real tools. A call the
 * doubles do not answer ends the run (it is never run for real).
 */
import type { ValidatedArgs } from "../tools/index.js";

/** What a double answers for one call: as if the tool had printed `stdout` and exited with `exitCode`. */
export interface ToolDoubleAnswer {
  stdout: string;
  stderr?: string;
  /** Default 0. */
  exitCode?: number;
}

export interface ToolDoubles {
  /**
   * The answer for a call of `tool` with these validated arguments, or `{ missing }` saying why
   * there is none (the run then ends with that message).
   */
  answer(tool: string, args: Readonly<ValidatedArgs>): ToolDoubleAnswer | { missing: string };
}
