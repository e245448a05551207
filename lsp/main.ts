#!/usr/bin/env node
/**
 * `symbi-lsp`: the Symbiont language server. Editors start it as `symbi-lsp --stdio` (also
 * `--node-ipc`, `--socket=<port>` or `--pipe=<name>`, which vscode-languageserver handles).
 *
 * Exit codes: 0 after a `shutdown` + `exit`, or for --help / --version; 1 for a usage error
 * (no transport given). vscode-languageserver exits with 1 on `exit` without `shutdown`.
 */
import { createConnection, ProposedFeatures } from "vscode-languageserver/node.js";
import { startServer } from "./server.js";
import { SERVER_VERSION } from "./core/version.js";

const USAGE = `usage: symbi-lsp --stdio | --node-ipc | --socket=<port> | --pipe=<name>

The Symbiont language server (Language Server Protocol 3.17). Editors start it with a
transport argument; it then speaks JSON-RPC on that transport until the client sends exit.`;

const args = process.argv.slice(2);
const TRANSPORTS = [/^--stdio$/, /^--node-ipc$/, /^--socket=\d+$/, /^--pipe=.+$/, /^--clientProcessId=\d+$/];

if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(USAGE + "\n");
} else if (args.includes("--version") || args.includes("-V")) {
  process.stdout.write(SERVER_VERSION + "\n");
} else if (!args.some((a) => TRANSPORTS.slice(0, 4).some((r) => r.test(a)))) {
  process.stderr.write(`error: no transport given\n${USAGE}\n`);
  process.exitCode = 1;
} else {
  // With --stdio, stdout carries the protocol: anything printed by mistake must go to stderr.
  if (args.includes("--stdio")) {
    console.log = console.info = console.warn = console.error;
  }
  // A bug must not take the editor's server down: report it and keep serving.
  process.on("uncaughtException", (err) =>
    process.stderr.write(`symbi-lsp: uncaught exception: ${err?.stack ?? err}\n`),
  );
  process.on("unhandledRejection", (err) =>
    process.stderr.write(`symbi-lsp: unhandled rejection: ${err instanceof Error ? err.stack : String(err)}\n`),
  );
  startServer(createConnection(ProposedFeatures.all));
}
