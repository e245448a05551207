/**
 * What the CLIs do when writing their output fails. The usual case is a reader that went away
 * (`symbic test --format json | head`, `symbi exec … | true`): the next write fails with EPIPE,
 * which Node raises as an unhandled 'error' event — a stack trace, and a process killed in the
 * middle of a run (a sandbox still to clean up, an audit log still to close). Instead, writes to
 * a closed stdout or stderr are dropped, and the command finishes and exits with its own code,
 * as it would have. Any other write error (a full disk under `> file`) also lets the command
 * finish, but a run that would have exited 0 exits 1 (ExitCode.Error): what it wrote is lost.
 */
import { ExitCode } from "./exit-codes.js";

export function dropWritesToClosedOutput(): void {
  let lost = false;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED" || lost) return;
      lost = true;
      if (stream === process.stdout) process.stderr.write(`error: the output could not be written: ${e.message}\n`);
    });
  }
  process.on("exit", () => {
    if (lost && (process.exitCode ?? 0) === 0) process.exitCode = ExitCode.Error;
  });
}
