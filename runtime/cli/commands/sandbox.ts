/**
 * `symbi sandbox prune [--all] [--run ID]`: removes what a runtime killed outright (SIGKILL,
 * a crash, a power cut) could not clean up — sandbox containers past the deadline on their
 * `dev.symbi.deadline` label, and process-tier private directories (`$TMPDIR/symbi-sbx-*`)
 * past theirs. Sandboxes still within their deadline belong to a run that may be alive and are
 * kept, unless `--all` (every sandbox container, running or not) or `--run ID` (every container
 * of that run) says otherwise. The next start of a sandbox tier does the default part by itself.
 *
 * Prints one line per removed container or directory and a summary. Exit codes: 0 done (also
 * when no Docker engine is installed: there is nothing of it to prune); 1 the engine is there but
 * did not answer, or a removal failed.
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import Docker from "dockerode";
import { dockerEndpoint, pruneSandboxContainers } from "../../sandbox/docker-engine.js";
import { reasonOf } from "../../sandbox/errors.js";
import { pruneProcessScratchDirs } from "../../sandbox/process-driver.js";
import { UserError } from "../../../formats/exit-codes.js";

interface PruneCliOptions {
  all?: boolean;
  run?: string;
}

export function register(program: Command): void {
  const sandbox = program.command("sandbox").description("manage the sandboxes tool calls run in");
  sandbox
    .command("prune")
    .description("remove sandbox containers and process-tier directories left behind past their deadline")
    .option("--all", "remove every sandbox container, running or not, whatever its deadline")
    .option("--run <id>", "remove every container of this run id (as in the container names symbi-<id>-N)")
    .addHelpText(
      "after",
      "\nExit codes: 0 done; 1 the Docker engine did not answer or a removal failed.\nThe Docker engine is the one DOCKER_HOST names (default unix:///var/run/docker.sock).",
    )
    .action(async (opts: PruneCliOptions) => {
      const dirs = opts.run === undefined ? await pruneProcessScratchDirs() : [];
      for (const d of dirs) process.stdout.write(`removed directory ${d}\n`);
      const docker = new Docker();
      const where = dockerEndpoint(docker);
      let names: string[] = [];
      const socket = where.startsWith("unix://") ? where.slice("unix://".length) : null;
      if (socket !== null && !existsSync(socket)) {
        process.stdout.write(`no Docker engine at ${where}: no containers to prune\n`);
      } else {
        try {
          names = await pruneSandboxContainers(docker, {
            ...(opts.all ? { all: true } : {}),
            ...(opts.run !== undefined ? { runId: opts.run } : {}),
          });
        } catch (e) {
          throw new UserError(`cannot prune sandbox containers at ${where}: ${reasonOf(e)}`);
        }
        for (const n of names) process.stdout.write(`removed container ${n}\n`);
      }
      process.stdout.write(
        `pruned ${names.length} container${names.length === 1 ? "" : "s"} and ${dirs.length} director${dirs.length === 1 ? "y" : "ies"}\n`,
      );
    });
}
