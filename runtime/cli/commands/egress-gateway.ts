/**
 * `symbi egress-gateway --listen HOST:PORT --allow HOST:PORT... --token-file FILE`: the egress
 * gateway of a Kubernetes Job whose agent may reach hosts by name (compiler/emit/kubernetes.ts,
 * runtime/egress). It lets through only the allowlisted destinations, only for clients that
 * present the token (the runtime's relay; the tools never hold it), and prints every attempt and
 * outcome as one JSON line on stdout (`kubectl logs`). The authoritative record of each attempt
 * is the run's signed audit log, written by the relay before the attempt reaches this gateway.
 *
 * Runs until SIGTERM or SIGINT. Exit codes: 0 stopped by a signal; 1 usage error, an unreadable
 * token file, or the address is taken.
 */
import type { Command } from "commander";
import { isIP } from "node:net";
import type { NetworkDestination } from "../../../formats/sandbox-manifest.js";
import { EgressAllowlist } from "../../egress/allowlist.js";
import { startEgressProxy } from "../../egress/proxy.js";
import { readEgressToken } from "../../egress/token.js";
import { reasonOf } from "../../sandbox/errors.js";
import { parseHostPort } from "../address.js";
import { UserError } from "../../../formats/exit-codes.js";

/** `host:port`, `[v6]:port` or `cidr:port` → a TCP destination. */
export function parseAllowEntry(text: string): NetworkDestination {
  const m = /^(?:\[([0-9A-Fa-f:.]+(?:\/\d{1,3})?)\]|([^\s[\]:]+)):([1-9]\d{0,4})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new UserError(`--allow ${JSON.stringify(text)} is not HOST:PORT`);
  const host = m[1] ?? m[2]!;
  const [addr, prefix] = host.split("/");
  if (prefix !== undefined && (isIP(addr!) === 0 || Number(prefix) > (isIP(addr!) === 4 ? 32 : 128)))
    throw new UserError(`--allow ${JSON.stringify(text)}: ${host} is not a CIDR block`);
  return { host, port };
}

export function register(program: Command): void {
  program
    .command("egress-gateway")
    .description("let allowlisted host:port destinations through for the runtime's egress relay (Kubernetes)")
    .requiredOption("--listen <host:port>", "where to listen (the gateway pod's address, e.g. 0.0.0.0:3128)")
    .requiredOption(
      "--allow <host:port>",
      "a destination to let through (repeat for each)",
      (v: string, all: string[] = []) => [...all, v],
    )
    .requiredOption("--token-file <file>", "the token clients must present (a Secret file)")
    .addHelpText(
      "after",
      "\nEach attempt and outcome is printed as a JSON line on stdout.\nExit codes: 0 stopped by SIGTERM/SIGINT; 1 usage error, unreadable token, or the address is taken.",
    )
    .action(async (opts: { listen: string; allow: string[]; tokenFile: string }) => {
      const listen = parseHostPort("--listen", opts.listen);
      const allow = new EgressAllowlist(opts.allow.map(parseAllowEntry));
      const token = readEgressToken(opts.tokenFile);
      const line = (type: string, details: object) =>
        process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), type, ...details })}\n`);
      let proxy;
      try {
        proxy = await startEgressProxy({
          listen,
          allow,
          upstream: { kind: "direct" },
          token,
          onAttempt: (a) => line("net_connect", a),
          onOutcome: (o) => line("net_close", o),
        });
      } catch (e) {
        throw new UserError(`cannot listen on ${opts.listen}: ${reasonOf(e)}`);
      }
      process.stderr.write(`symbi egress-gateway: listening on ${proxy.url}; allowed: ${allow.entries.join(", ")}\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGTERM", () => resolve());
        process.once("SIGINT", () => resolve());
      });
      await proxy.close();
    });
}
