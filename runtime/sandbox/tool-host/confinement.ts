/**
 * What the tools container of a Kubernetes pod is, seen from inside, and whether that is what
 * the manifest says. The tool host measures (`probeConfinement`) before any tool has run, and
 * sends the report in its hello; the runtime compares (`checkConfinement`) and refuses the run on
 * any difference. A container's settings are proven from inside, never taken from the pod spec
 * or a runtime's name: a cluster may ignore a field (a RuntimeClass that is not gVisor, a
 * network plugin without NetworkPolicy support), and the run must not go on with less.
 *
 *   identity     effective uid:gid (== manifest user), CapEff 0, NoNewPrivs 1 (gVisor's
 *                /proc/self/status has no NoNewPrivs line: there `setpriv --dump` asks prctl)
 *   seccomp      Seccomp 2 (a filter) — under gVisor the Sentry itself is the system-call
 *                boundary and the field is not required
 *   root         the root mount is read-only
 *   limits       the cgroup memory limit ≤ manifest memory + the tool host's allowance, the CPU
 *                quota ≤ manifest CPUs (cgroup v2 or v1); an unlimited or unreadable value fails.
 *                gVisor shows no cgroup files: there the memory is its MemTotal (gVisor sizes
 *                the sandbox's memory to the container's limit), and the CPU quota, which it
 *                does not show at all, is not required (it is applied outside the sandbox)
 *   tier2        the kernel is gVisor's: its log says "gVisor" (readable by root only), or
 *                /proc/version is gVisor's fixed "Linux version 4.4.0 #1 SMP Sun Jan 10
 *                15:06:54 PST 2016"
 *   network      no interface but loopback, or — with interfaces — the Kubernetes API server
 *                is unreachable (a NetworkPolicy that denies egress is enforced)
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { BlockList, connect, isIP } from "node:net";
import { networkInterfaces, release } from "node:os";
import type { NetworkDestination, SandboxManifest } from "../../../formats/sandbox-manifest.js";

export interface ConfinementReport {
  uid: number;
  gid: number;
  /** CapEff from /proc/self/status, hex. */
  capEff: string;
  noNewPrivs: boolean;
  /** Seccomp mode (0 off, 1 strict, 2 filter), or null when the kernel does not say. */
  seccomp: number | null;
  rootReadOnly: boolean | null;
  /** The container's memory limit in bytes, null when unlimited or unreadable. */
  memoryLimitBytes: number | null;
  /** The container's CPU quota in cores, null when unlimited or unreadable. */
  cpuLimit: number | null;
  kernel: string;
  gvisor: boolean;
  /** Interfaces with an address other than loopback. */
  interfaces: string[];
  /** The Kubernetes API server (from the kubelet's KUBERNETES_SERVICE_* variables) and whether it answered. */
  apiServer: { address: string; reachable: boolean } | null;
  /** The image reference the pod spec gave this container (SYMBI_POD_IMAGE). */
  image: string | null;
  /** The tool image the runtime image was built on (SYMBI_TOOLS_IMAGE, set by the image). */
  toolsImage: string | null;
}

const API_PROBE_TIMEOUT_MS = 2000;

/** Measures this process's confinement (run by the tool host, in the tools container). */
export async function probeConfinement(env: NodeJS.ProcessEnv = process.env): Promise<ConfinementReport> {
  const status = readText("/proc/self/status") ?? "";
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1]?.trim();
  const ids = (name: string) => Number((field(name) ?? "").split(/\s+/)[1] ?? NaN);
  const seccomp = field("Seccomp");
  const gvisor = isGvisor(readText("/proc/version"));
  return {
    uid: ids("Uid"),
    gid: ids("Gid"),
    capEff: field("CapEff") ?? "unknown",
    noNewPrivs: noNewPrivs(field("NoNewPrivs")),
    seccomp: seccomp === undefined ? null : Number(seccomp),
    rootReadOnly: rootReadOnly(readText("/proc/self/mountinfo")),
    memoryLimitBytes: memoryLimit() ?? (gvisor ? memTotal(readText("/proc/meminfo")) : null),
    cpuLimit: cpuLimit(),
    kernel: release(),
    gvisor,
    interfaces: Object.entries(networkInterfaces())
      .filter(([, addrs]) => (addrs ?? []).some((a) => !a.internal))
      .map(([name]) => name)
      .sort(),
    apiServer: await probeApiServer(env),
    image: env.SYMBI_POD_IMAGE || null,
    toolsImage: env.SYMBI_TOOLS_IMAGE || null,
  };
}

export interface ConfinementOptions {
  /** Memory the tool host may use on top of the manifest's limit (compiler/emit/kubernetes.ts). */
  memoryAllowanceMb: number;
}

/** Every way the report falls short of the manifest, in words; empty when it does not. */
export function checkConfinement(r: ConfinementReport, m: SandboxManifest, o: ConfinementOptions): string[] {
  const out: string[] = [];
  if (`${r.uid}:${r.gid}` !== m.user) out.push(`runs as ${r.uid}:${r.gid}, not ${m.user}`);
  if (!/^[0-9a-fA-F]+$/.test(r.capEff) || BigInt(`0x${r.capEff}`) !== 0n)
    out.push(`has capabilities (CapEff ${r.capEff}); all must be dropped`);
  if (!r.noNewPrivs) out.push("may gain privileges (no_new_privs is off)");
  if (r.rootReadOnly !== true) out.push("has a writable root filesystem");
  if (r.seccomp !== 2 && !r.gvisor) out.push(`has no seccomp filter (Seccomp ${r.seccomp ?? "unknown"})`);
  const memMax = (m.limits.memoryMb + o.memoryAllowanceMb) * 1024 * 1024;
  if (r.memoryLimitBytes === null) out.push("has no memory limit");
  else if (r.memoryLimitBytes > memMax)
    out.push(`has a memory limit of ${mib(r.memoryLimitBytes)} MiB, above ${mib(memMax)} MiB`);
  if (r.cpuLimit === null) {
    if (!r.gvisor) out.push("has no CPU limit");
  } else if (r.cpuLimit > m.limits.cpus + 1e-3)
    out.push(`has a CPU limit of ${r.cpuLimit} cores, above ${m.limits.cpus}`);
  if (m.tier === "tier2" && !r.gvisor)
    out.push(`does not run under gVisor (kernel ${r.kernel}); tier2 needs the gVisor RuntimeClass`);
  const net = networkViolation(r, m);
  if (net) out.push(net);
  return out;
}

function networkViolation(r: ConfinementReport, m: SandboxManifest): string | null {
  if (r.interfaces.length === 0) return null;
  const wanted = m.network.mode === "none" ? "no network" : "only its allowlist";
  if (r.apiServer === null)
    return `has network interfaces (${r.interfaces.join(", ")}) and no Kubernetes API server to prove that the NetworkPolicy (${wanted}) is enforced`;
  if (!r.apiServer.reachable) return null;
  if (m.network.mode === "allowlist" && allowlistCovers(m.network.allow, r.apiServer.address)) return null;
  return `reached the Kubernetes API server at ${r.apiServer.address}: the NetworkPolicy (${wanted}) is not enforced (does the cluster's network plugin support NetworkPolicy?)`;
}

/** Whether an IP/CIDR entry of the allowlist lets `host:port` through. */
function allowlistCovers(allow: readonly NetworkDestination[], address: string): boolean {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(i + 1));
  const family = isIP(host);
  if (family === 0) return false;
  const type = family === 4 ? "ipv4" : "ipv6";
  return allow.some((d) => {
    if (d.port !== port || (d.protocol ?? "tcp") !== "tcp") return false;
    const [net, prefix] = d.host.split("/");
    if (isIP(net ?? "") !== family) return false;
    const list = new BlockList();
    if (prefix === undefined) list.addAddress(net!, type);
    else list.addSubnet(net!, Number(prefix), type);
    return list.check(host, type);
  });
}

function mib(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** The mount options of the last mount on "/" in /proc/self/mountinfo include "ro". */
export function rootReadOnly(mountinfo: string | null): boolean | null {
  if (mountinfo === null) return null;
  let options: string | undefined;
  for (const line of mountinfo.split("\n")) {
    const f = line.split(" ");
    if (f[4] === "/") options = f[5];
  }
  return options === undefined ? null : options.split(",").includes("ro");
}

/** Values at or above this mean "no limit" in cgroup v1 (the kernel rounds LONG_MAX to a page). */
const CGROUP_V1_UNLIMITED = 2 ** 62;

function memoryLimit(): number | null {
  const v2 = readText("/sys/fs/cgroup/memory.max")?.trim();
  if (v2 !== undefined) return /^\d+$/.test(v2) ? Number(v2) : null;
  const v1 = readText("/sys/fs/cgroup/memory/memory.limit_in_bytes")?.trim();
  if (v1 === undefined || !/^\d+$/.test(v1)) return null;
  const n = Number(v1);
  return n >= CGROUP_V1_UNLIMITED ? null : n;
}

function cpuLimit(): number | null {
  const v2 = readText("/sys/fs/cgroup/cpu.max")?.trim();
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    return quota && /^\d+$/.test(quota) && Number(period) > 0 ? Number(quota) / Number(period) : null;
  }
  for (const dir of ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"]) {
    const quota = readText(`${dir}/cpu.cfs_quota_us`)?.trim();
    const period = readText(`${dir}/cpu.cfs_period_us`)?.trim();
    if (quota === undefined || period === undefined) continue;
    return /^\d+$/.test(quota) && Number(period) > 0 ? Number(quota) / Number(period) : null;
  }
  return null;
}

/** no_new_privs from /proc/self/status, or from prctl through `setpriv --dump` where the kernel does not list it. */
function noNewPrivs(statusField: string | undefined): boolean {
  if (statusField !== undefined) return statusField === "1";
  const r = spawnSync("setpriv", ["--dump"], { encoding: "utf8", timeout: 2000, env: { PATH: "/usr/bin:/bin" } });
  return /^no_new_privs: 1$/m.test(r.stdout ?? "");
}

/** gVisor's fixed kernel version string (its Sentry reports it whatever the host runs). */
const GVISOR_VERSION = /^Linux version 4\.4\.0 #1 SMP Sun Jan 10 15:06:54 PST 2016\b/;

/** Whether this is gVisor's kernel: its log ("Starting gVisor...") or its version string. */
export function isGvisor(procVersion: string | null): boolean {
  if (procVersion !== null && GVISOR_VERSION.test(procVersion)) return true;
  const r = spawnSync("dmesg", [], { encoding: "utf8", timeout: 2000, env: { PATH: "/usr/bin:/bin" } });
  return r.status === 0 && /gVisor/.test(r.stdout ?? "");
}

/** MemTotal of /proc/meminfo, in bytes. */
export function memTotal(meminfo: string | null): number | null {
  const kb = /^MemTotal:\s+(\d+) kB$/m.exec(meminfo ?? "")?.[1];
  return kb === undefined ? null : Number(kb) * 1024;
}

function probeApiServer(env: NodeJS.ProcessEnv): Promise<{ address: string; reachable: boolean } | null> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = Number(env.KUBERNETES_SERVICE_PORT);
  if (!host || isIP(host) === 0 || !Number.isInteger(port) || port < 1 || port > 65535) return Promise.resolve(null);
  const address = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: API_PROBE_TIMEOUT_MS });
    const done = (reachable: boolean) => {
      socket.destroy();
      resolve({ address, reachable });
    };
    socket.once("connect", () => done(true));
    socket.once("timeout", () => done(false));
    socket.once("error", () => done(false));
  });
}
