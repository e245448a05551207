/**
 * Our extension `[tool.sandbox]`: how the tool runs in its container. Kept in its own table so
 * the reference's contracts stay valid unchanged.
 *
 *   image   = "symbi/nmap:7.94"          container image (the driver's default when absent)
 *   user    = "65100:65100"              numeric uid:gid, both in 65000-65534 (formats/sandbox-identity.ts)
 *   workdir = "/work"                    absolute
 *   mounts  = ["/srv/wordlists:/lists"]  extra mounts, always read-only ("/path" = same path inside)
 *   network = ["example.com:443"]        hosts the tool may reach; none when absent
 *   fresh   = true                       one container per call (default: the block's warm container)
 */
import { isIP } from "node:net";
import type { NetworkAllow, SandboxMount, SandboxSpec } from "./model.js";
import type { ContractReader, TomlTable } from "./reader.js";
import { isHostname } from "./values.js";
import { SANDBOX_ID_RANGE, sandboxIdentityProblem } from "../../formats/sandbox-identity.js";
import { mountPathProblem } from "../../formats/sandbox-manifest.js";

const SANDBOX_KEYS = ["image", "user", "workdir", "mounts", "network", "fresh"];
const PATH = ["tool", "sandbox"];

function isSafeAbsolute(p: string): boolean {
  return p.startsWith("/") && !p.split("/").includes("..") && !/[\0\n\r]/.test(p);
}

export function parseMount(text: string): SandboxMount | string {
  const parts = text.split(":");
  if (parts.length > 2) return 'expected "/host/path" or "/host/path:/container/path"';
  const source = parts[0]!;
  const target = parts[1] ?? source;
  return mountPathProblem(source) ?? mountPathProblem(target) ?? { source, target, readOnly: true };
}

export function parseNetworkAllow(text: string): NetworkAllow | string {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  if (!m) return "expected host:port (an IPv6 address in brackets: [::1]:443)";
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `port ${port} is outside 1-65535`;
  if (m[1] !== undefined ? isIP(host) !== 6 : isIP(host) === 0 && !isHostname(host))
    return `\`${host}\` is not a hostname or IP address`;
  return { host, port };
}

export function readSandbox(r: ContractReader, tool: TomlTable): SandboxSpec {
  const spec: SandboxSpec = { mounts: [], network: [] };
  const sb = r.table(tool, "sandbox", ["tool"]);
  if (!sb) return spec;
  r.unknownKeys(sb, SANDBOX_KEYS, PATH, "[tool.sandbox]");

  const image = r.string(sb, "image", PATH);
  if (image !== undefined) {
    if (image.trim() === "" || /\s/.test(image))
      r.atValue("E0522", "`image` must be an image reference without spaces", [...PATH, "image"]);
    else spec.image = image;
  }
  const user = r.string(sb, "user", PATH);
  if (user !== undefined) {
    const problem = sandboxIdentityProblem(user);
    if (problem !== null)
      r.atValue(
        "E0522",
        `${problem} (user ${JSON.stringify(user)})`,
        [...PATH, "user"],
        `tools run as a numeric "uid:gid" with both ids in ${SANDBOX_ID_RANGE.min}-${SANDBOX_ID_RANGE.max}, e.g. "65534:65534"`,
      );
    else spec.user = user;
  }
  const workdir = r.string(sb, "workdir", PATH);
  if (workdir !== undefined) {
    if (!isSafeAbsolute(workdir))
      r.atValue("E0522", "`workdir` must be an absolute path without `..`", [...PATH, "workdir"]);
    else spec.workdir = workdir;
  }
  const mounts = r.stringArray(sb, "mounts", PATH) ?? [];
  mounts.forEach((m, i) => {
    const res = parseMount(m);
    if (typeof res === "string")
      r.atValue("E0522", `invalid mount ${JSON.stringify(m)}: ${res}`, [...PATH, "mounts", i]);
    else spec.mounts.push(res);
  });
  const fresh = r.boolean(sb, "fresh", PATH);
  if (fresh === true) spec.fresh = true;
  const network = r.stringArray(sb, "network", PATH) ?? [];
  network.forEach((n, i) => {
    const res = parseNetworkAllow(n);
    if (typeof res === "string")
      r.atValue("E0522", `invalid network entry ${JSON.stringify(n)}: ${res}`, [...PATH, "network", i]);
    else spec.network.push(res);
  });
  return spec;
}
