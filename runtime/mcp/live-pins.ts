/**
 * The pins `symbic build` puts in the bundles when it lists the project's MCP servers itself
 * (compiler/mcp/README.md, "Pins at build time"): each declared server is started in its own
 * tier's sandbox (listing.ts — never with more rights than a run gives it), listed, stopped, and
 * its tools compared with `mcp.lock.json`:
 *
 * - a tool the lock pins must be listed with exactly the pinned definition — the lock is what a
 *   person reviewed, so a difference refuses the build (drift), naming the tool and each field;
 * - a tool the lock does not pin is pinned from the listing (reported as not reviewed);
 * - a server that cannot be started or listed refuses the build (`--offline` builds from the lock).
 *
 * The symbic CLI loads this module only for a project that declares servers and only without
 * `--offline` (the compiler itself never imports the runtime: DESIGN §2, README "Layout").
 */
import { join } from "node:path";
import {
  loadMcpTools,
  readMcpLock,
  readMcpText,
  MCP_LOCK_FILE,
  type LockedTool,
  type McpLock,
} from "../../compiler/mcp/index.js";
import type { McpServerSettings } from "../../config/mcp.js";
import { definitionHash } from "../../formats/mcp.js";
import { McpServerError } from "./server-error.js";
import { compareWithPins, listServerTools } from "./listing.js";
import { listedSignature } from "./signature.js";

export interface LiveServerListing {
  server: string;
  /** How it was reached: `stdio, process tier` or its URL. */
  where: string;
  tools: Array<{ name: string; hash: string; from: "lock" | "live"; signedBy?: string }>;
}

export interface LivePins {
  /** The pins to build with: the lock's, plus what the listing added. */
  lock: McpLock;
  servers: LiveServerListing[];
  /** Tools that differ from their pins (one line each, naming tool and fields): refuse the build (exit 3). */
  drift: string[];
  /** Servers that could not be listed, and tools that cannot be pinned: refuse the build. */
  failures: string[];
}

export interface LivePinsOptions {
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs?: number;
  /** The time written as `pinnedAt` of tools pinned from the listing. */
  now?: string;
}

function where(s: McpServerSettings): string {
  return s.decl.transport === "stdio" ? `stdio, ${s.decl.sandbox} tier` : s.decl.url;
}

/**
 * The pins for a project: undefined when its `symbi.toml` declares no (readable) server. A
 * server table with problems is left to the checker (E0800 at its key). Throws McpLockError
 * for a damaged `mcp.lock.json` (never built over).
 */
export async function livePins(root: string, o: LivePinsOptions): Promise<LivePins | undefined> {
  const file = join(root, "symbi.toml");
  let text: string;
  try {
    text = readMcpText(file);
  } catch {
    return undefined;
  }
  const servers = loadMcpTools({ file, text }, undefined).servers;
  if (servers.size === 0) return undefined;
  const lock = readMcpLock(root);
  const now = o.now ?? new Date().toISOString();
  const out: LivePins = { lock: { servers: { ...lock.servers } }, servers: [], drift: [], failures: [] };
  const names = [...servers.keys()].sort();
  const listings = await Promise.all(
    names.map((n) =>
      listServerTools(servers.get(n)!, {
        root,
        env: o.env,
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      }).catch((e: unknown) => {
        if (e instanceof McpServerError) return e;
        throw e;
      }),
    ),
  );
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const s = servers.get(name)!;
    const listed = listings[i]!;
    if (listed instanceof McpServerError) {
      out.failures.push(`${listed.message} (build from ${MCP_LOCK_FILE} without starting servers: --offline)`);
      continue;
    }
    const pins = lock.servers[name]?.tools ?? {};
    const tools: Record<string, LockedTool> = {};
    const report: LiveServerListing = { server: name, where: where(s), tools: [] };
    for (const c of compareWithPins(s, listed, pins)) {
      const what = `MCP tool \`${c.name}\` of server \`${name}\``;
      if (c.status === "pinned") {
        tools[c.name] = c.pin!;
        report.tools.push({
          name: c.name,
          hash: c.pin!.hash,
          from: "lock",
          ...(c.pin!.signature ? { signedBy: c.pin!.signature.domain } : {}),
        });
      } else if (c.status === "new") {
        const d = c.definition!;
        tools[c.name] = { definition: d, hash: definitionHash(d), pinnedAt: now };
        let signedBy: string | undefined;
        try {
          signedBy = listedSignature(c.listed!)?.domain;
        } catch {
          signedBy = undefined;
        }
        report.tools.push({ name: c.name, hash: definitionHash(d), from: "live", ...(signedBy ? { signedBy } : {}) });
      } else if (c.status === "changed") {
        out.drift.push(`${what} differs from its pin in ${MCP_LOCK_FILE}: ${c.changes.join("; ")}`);
      } else if (c.status === "missing") {
        out.drift.push(
          `${what}: ${c.pin ? `pinned in ${MCP_LOCK_FILE}, but` : "named in `tools`, but"} the server does not list it`,
        );
      } else {
        out.failures.push(`${what} cannot be pinned: ${c.changes.join("; ")}`);
      }
    }
    out.lock.servers[name] = { tools };
    out.servers.push(report);
  }
  return out;
}
