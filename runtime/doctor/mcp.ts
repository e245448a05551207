/**
 * The project's MCP servers (`[mcp.servers.*]`): each is started as `symbi exec` starts it — a
 * stdio server in the sandbox of the run of the first agent that uses it (its tier, limits,
 * network policy, `env` and `pass_env`), one no agent uses in its own tier's sandbox as
 * `symbi tools list` starts it — initialised, listed (`tools/list`) and stopped, within a bound;
 * what it lists is compared with the pins in `mcp.lock.json`, the definitions the agents' bundles
 * are built from. A pinned tool that changed or is no longer listed is named with what changed:
 * `symbi exec` would refuse the run. A tool listed but not pinned is a warning (no agent can call
 * it). Signatures are left to `symbi tools verify --mcp` (it needs the trust store and discovery).
 *
 * A failure is a failure only for a server some agent uses; otherwise it is a warning.
 */
import { readMcpLock, McpLockError, MCP_LOCK_FILE, type LockedTool } from "../../compiler/mcp/index.js";
import { UserError } from "../../formats/exit-codes.js";
import type { SandboxTier } from "../../formats/sandbox-manifest.js";
import { McpServerError } from "../mcp/server-error.js";
import { compareWithPins, describeComparison, listServerTools, projectMcpServers } from "../mcp/listing.js";
import type { DoctorContext } from "./index.js";
import type { DoctorFinding } from "./report.js";

/** Starting, the handshake and the listing of one server, each at most this long. */
export const MCP_DOCTOR_TIMEOUT_MS = 20_000;

const RANK: Record<SandboxTier, number> = { process: 0, tier1: 1, tier2: 2 };

function agentsText(agents: string[]): string {
  return agents.length === 1 ? `agent ${agents[0]}` : `agents ${agents.join(", ")}`;
}

export async function mcpFindings(ctx: DoctorContext, timeoutMs = MCP_DOCTOR_TIMEOUT_MS): Promise<DoctorFinding[]> {
  let project;
  try {
    project = projectMcpServers(ctx.needs.root);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    // No symbi.toml, or one without servers: nothing to check. A bad server table: say so.
    if (/cannot be read/.test(e.message)) return [];
    return [{ subject: "MCP servers", status: "fail", detail: e.message, fix: "fix the server's table in symbi.toml" }];
  }
  if (project.servers.size === 0) return [];
  let pinsOf: (server: string) => Record<string, LockedTool>;
  try {
    const lock = readMcpLock(project.root);
    pinsOf = (s) => lock.servers[s]?.tools ?? {};
  } catch (e) {
    if (!(e instanceof McpLockError)) throw e;
    return [{ subject: MCP_LOCK_FILE, status: "fail", detail: e.message }];
  }
  const names = [...project.servers.keys()].sort();
  const results = await Promise.all(
    names.map(async (name) => {
      const s = project.servers.get(name)!;
      const use = ctx.needs.mcpServers.get(name);
      const out: DoctorFinding[] = [];
      const needed = use !== undefined;
      const subject = `MCP server ${name}`;
      const bad = (detail: string, fix?: string): DoctorFinding => ({
        subject,
        status: needed ? "fail" : "warn",
        detail: needed ? `${detail} — needed by ${agentsText(use.agents)}` : `${detail} (no agent uses its tools)`,
        ...(fix ? { fix } : {}),
      });
      if (use && s.decl.transport === "stdio" && RANK[use.sandbox.tier] < RANK[s.decl.sandbox]) {
        out.push(
          bad(
            `it runs in the ${s.decl.sandbox} tier or stronger, but agent ${use.agents[0]} runs in ${use.sandbox.tier}`,
            "name a stronger tier in the agent's `with` block",
          ),
        );
        return out;
      }
      const how =
        s.decl.transport === "stdio"
          ? `stdio, in ${use ? `the ${use.sandbox.tier} sandbox of agent ${use.agents[0]}'s run` : `its own ${s.decl.sandbox} tier's sandbox`}`
          : s.decl.url;
      let listed;
      try {
        listed = await listServerTools(s, {
          root: project.root,
          env: ctx.env,
          ...(use && s.decl.transport === "stdio" ? { sandbox: use.sandbox } : {}),
          timeoutMs,
        });
      } catch (e) {
        if (!(e instanceof McpServerError)) throw e;
        out.push(bad(`${e.message} (${how})`, "fix the server's command or url in symbi.toml, or the server itself"));
        return out;
      }
      const pins = pinsOf(name);
      if (Object.keys(pins).length === 0) {
        out.push(
          bad(
            `started (${how}) and listed ${listed.length} tool${listed.length === 1 ? "" : "s"}, stopped; none is pinned in ${MCP_LOCK_FILE}`,
            `review them with symbi tools list ${name}, then symbi tools pin ${name}`,
          ),
        );
        return out;
      }
      const compared = compareWithPins(s, listed, pins);
      const asPinned = compared.filter((c) => c.status === "pinned").length;
      const drift = compared.filter((c) => c.status === "changed" || c.status === "missing" || c.status === "unusable");
      const unpinned = compared.filter((c) => c.status === "new");
      out.push(
        drift.length === 0
          ? {
              subject,
              status: "ok",
              detail: `started (${how}), initialised, listed and stopped: ${asPinned} pinned tool${asPinned === 1 ? "" : "s"} as in ${MCP_LOCK_FILE}${use ? ` — used by ${agentsText(use.agents)}` : ""}`,
            }
          : bad(
              `started (${how}) and stopped; ${drift.length} of its pinned tools ${drift.length === 1 ? "differs" : "differ"} from ${MCP_LOCK_FILE}: symbi exec would refuse the run`,
              `review the change with symbi tools list ${name}; if it is wanted, symbi tools pin ${name} and rebuild`,
            ),
      );
      for (const c of drift)
        out.push({
          subject: `MCP tool ${name}.${c.name}`,
          status: needed ? "fail" : "warn",
          detail: describeComparison(c),
        });
      for (const c of unpinned)
        out.push({
          subject: `MCP tool ${name}.${c.name}`,
          status: "warn",
          detail: "listed but not pinned: no agent can call it",
          fix: `symbi tools pin ${name} after reviewing it`,
        });
      return out;
    }),
  );
  return results.flat();
}
