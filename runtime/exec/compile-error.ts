/**
 * The error of `symbi exec FILE.symbi` when the source does not compile (compile.ts). Its own
 * module so that the CLI can recognise it without importing the compiler, which only a run of a
 * `.symbi` file loads.
 */
import type { Diagnostic } from "../../compiler/diagnostics/model.js";
import { ExitCode } from "../../formats/exit-codes.js";

/** The source does not compile: the message holds the rendered diagnostics. */
export class CompileError extends Error {
  override readonly name = "CompileError";
  readonly exitCode = ExitCode.CheckFailed;
  constructor(
    message: string,
    /** The compiler's rendering (file:line:col, excerpt, help), printed as is by the CLI. */
    readonly rendered: string,
    /** The errors themselves. */
    readonly diagnostics: readonly Diagnostic[] = [],
  ) {
    super(message);
  }
}
