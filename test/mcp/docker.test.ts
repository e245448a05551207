/**
 * A stdio MCP server in the Tier1 (Docker) sandbox: started in its own container from the run's
 * manifest (its user, limits, no network), spoken to over the container's attached streams, and
 * removed when the run's servers are stopped. The server is a dependency-free MCP server
 * (fixtures/docker-server/server.mjs) baked into an image built here from the runtime image, which
 * has Node. Without Docker or the runtime image (`npm run runtime:image`) the test is declared
 * with `test.skip`, so the summary counts it as skipped.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { DEFAULT_RUNTIME_IMAGE } from "../../formats/images.js";
import { definitionHash, toolDefinition } from "../../formats/mcp.js";
import { defaultSandboxManifest } from "../../formats/sandbox-manifest.js";
import { McpServers } from "../../runtime/mcp/servers.js";
import { dockerUnavailable } from "../helpers/docker.js";

const IMAGE = "symbi-mcp-test:1";
const docker = new Docker();

async function unavailable(): Promise<string | null> {
  const base = await dockerUnavailable(docker);
  if (base) return base;
  try {
    await docker.getImage(DEFAULT_RUNTIME_IMAGE).inspect({ abortSignal: AbortSignal.timeout(3000) } as never);
  } catch {
    return `image ${DEFAULT_RUNTIME_IMAGE} missing (npm run runtime:image)`;
  }
  return null;
}

const why = await unavailable();
const dtest = why === null ? test : test.skip;
if (why) console.log(`  MCP Docker tests skipped: ${why}`);

dtest("a stdio MCP server runs in its own Tier1 container for the run and is removed with it", async () => {
  const context = fileURLToPath(new URL("./fixtures/docker-server", import.meta.url));
  execFileSync("docker", ["build", "-q", "-t", IMAGE, "-f", "-", context], {
    input: `FROM ${DEFAULT_RUNTIME_IMAGE}\nCOPY server.mjs /srv/mcp-server.mjs\n`,
    stdio: ["pipe", "ignore", "pipe"],
    timeout: 120_000,
  });
  const def = toolDefinition({
    name: "whoami",
    description: "Says where it runs",
    inputSchema: { type: "object", properties: {} },
  });
  const servers = await McpServers.start({
    bundle: {
      format: "symbi-mcp/v1",
      servers: {
        d: {
          transport: "stdio",
          command: "node",
          args: ["/srv/mcp-server.mjs"],
          env: {},
          passEnv: [],
          sandbox: "tier1",
          timeoutSeconds: 20,
        },
      },
      tools: {
        whoami: {
          server: "d",
          definition: def,
          hash: definitionHash(def),
          riskTier: "low",
          humanApproval: false,
          groups: [],
        },
      },
    },
    sandbox: defaultSandboxManifest({ agent: "d", tier: "tier1", image: IMAGE, timeoutMs: 60_000, memoryMb: 512 }),
    baseDir: join(context),
    env: {},
    verifier: () => Promise.reject(new Error("nothing is signed")),
    requireSigned: false,
  });
  let name: string | undefined;
  try {
    const c = await servers.connection("d");
    name = c.sandboxId;
    assert.match(String(name), /^symbi-/);
    const r = await c.callTool("whoami", {}, { timeoutMs: 10_000 });
    const text = (r["content"] as Array<{ text: string }>)[0]!.text;
    assert.match(text, /^uid 65534 /, "the sandbox's user, not root");
    const info = await docker.getContainer(name!).inspect();
    assert.is(info.HostConfig.NetworkMode, "none");
    assert.ok(info.HostConfig.ReadonlyRootfs);
  } finally {
    await servers.close();
  }
  const left = await docker.listContainers({ all: true, filters: { name: [name!] } });
  assert.is(left.length, 0, "the container is removed when the servers stop");
});

test.run();
