/**
 * `symbi tool-host --listen HOST:PORT`: the process in a Kubernetes pod's tools container that
 * runs the agent's tool calls for the runtime container (runtime/sandbox/tool-host/server.ts,
 * compiler/emit/kubernetes.ts). It serves one runtime and exits when that runtime disconnects.
 *
 * Exit codes: 0 the runtime connected and disconnected cleanly; 1 usage error, the address is
 * taken, no runtime connected in time, or the connection broke the protocol.
 */
import type { Command } from "commander";
import { parseHostPort } from "../address.js";
import { serveToolHost } from "../../sandbox/tool-host/server.js";
import { ExitStatus } from "../errors.js";
import { UserError } from "../../../formats/exit-codes.js";
import { reasonOf } from "../../sandbox/errors.js";

export function register(program: Command): void {
  program
    .command("tool-host")
    .description("run the tool calls of one runtime in this container (the tools container of a Kubernetes Job)")
    .requiredOption("--listen <host:port>", "where to listen for the runtime (the pod's loopback)")
    .option("--accept-timeout <seconds>", "give up when no runtime has connected by then", "120")
    .option("--quiet", "print nothing on stderr")
    .addHelpText(
      "after",
      "\nExit codes: 0 the runtime finished; 1 usage error, the address is taken, no runtime connected\nin time, or the connection broke the protocol.",
    )
    .action(async (opts: { listen: string; acceptTimeout: string; quiet?: boolean }) => {
      const address = parseHostPort("--listen", opts.listen);
      if (!/^\d+$/.test(opts.acceptTimeout) || Number(opts.acceptTimeout) < 1)
        throw new UserError(
          `--accept-timeout must be a positive number of seconds, not ${JSON.stringify(opts.acceptTimeout)}`,
        );
      const log = (line: string) => {
        if (!opts.quiet) process.stderr.write(`symbi tool-host: ${line}\n`);
      };
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
      let outcome;
      try {
        outcome = await serveToolHost({
          host: address.host,
          port: address.port,
          acceptTimeoutMs: Number(opts.acceptTimeout) * 1000,
          signal: stop.signal,
          log,
        });
      } catch (e) {
        throw new UserError(`cannot listen on ${opts.listen}: ${reasonOf(e)}`);
      } finally {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
      }
      if (!outcome.ok) {
        process.stderr.write(`symbi: error: tool host: ${outcome.reason}\n`);
        throw new ExitStatus(1);
      }
    });
}
