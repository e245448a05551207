/**
 * The sandbox manifest as Kubernetes objects (DESIGN §7), for operators who run agents' tools on
 * a cluster: a batch/v1 Job that runs one tool call under the same constraints, and a
 * networking.k8s.io/v1 NetworkPolicy that denies all ingress and all egress but the allowlist.
 *
 * Mapping (manifest → Kubernetes):
 *   tier2                 → runtimeClassName "gvisor" (the RuntimeClass that selects runsc)
 *   user uid:gid          → runAsUser / runAsGroup, runAsNonRoot true (pod and container)
 *   readOnlyRoot          → readOnlyRootFilesystem true
 *   capDrop ALL           → capabilities.drop ["ALL"]
 *   noNewPrivileges       → allowPrivilegeEscalation false (also privileged false)
 *   seccomp default       → seccompProfile RuntimeDefault
 *   tmpfs                 → emptyDir { medium: Memory, sizeLimit } mounted at each path
 *                            (memory-backed emptyDir counts toward the memory limit)
 *   limits.memoryMb/cpus  → resources.limits = requests (Guaranteed QoS)
 *   limits.pids           → no per-pod field exists (PID limits are a kubelet setting):
 *                            recorded in the `symbi.dev/pids-limit` annotation for admission
 *                            policies; say so rather than pretend
 *   timeoutMs             → activeDeadlineSeconds (rounded up), backoffLimit 0 (no retries)
 *   network none          → NetworkPolicy with no ingress and no egress rule
 *   network allowlist     → one egress rule per destination, as ipBlock CIDR + port; a host
 *                            name cannot be expressed in a NetworkPolicy, so it is an error
 *                            (never an open rule)
 * The service-account token is not mounted and service links are off: the tool gets no cluster
 * credentials and no service environment variables.
 *
 * Plain objects are built here (no Kubernetes client library at run time); the tests validate
 * them against the Kubernetes OpenAPI schemas with `kubernetes-models`.
 */
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { stringify } from "yaml";
import type { NetworkDestination, SandboxManifest } from "../../formats/sandbox-manifest.js";

export interface KubernetesRenderOptions {
  /** The tool's argv, run as the container's `command` (no shell). */
  command: string[];
  /** Job name (a DNS-1123 label); default derived from the agent and block. */
  name?: string;
  namespace?: string;
  /** RuntimeClass for tier2 (default "gvisor"). */
  runtimeClassName?: string;
  /** Extra labels for the Job and its pod. */
  labels?: Record<string, string>;
  /** Delete the finished Job after this many seconds (omitted by default). */
  ttlSecondsAfterFinished?: number;
  /** Container image pull policy (default IfNotPresent). */
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
}

export interface KubernetesRendering {
  job: Record<string, unknown>;
  networkPolicy: Record<string, unknown>;
  /** Both objects as one YAML stream (`---` separated), with a header comment. */
  yaml: string;
}

/** The manifest cannot be expressed faithfully as Kubernetes objects. */
export class KubernetesRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubernetesRenderError";
  }
}

export const GVISOR_RUNTIME_CLASS = "gvisor";

/** A DNS-1123 label (≤ 63 chars) for an agent's manifest: `symbi-<agent>[-with<N>]`. */
export function kubernetesName(agent: string, block: number | null): string {
  const base = `symbi-${agent}${block === null ? "" : `-with${block}`}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (base.length <= 63) return base;
  // Too long: keep a readable prefix and make it unique with a short hash of the full name.
  const hash = createHash("sha256").update(base).digest("hex").slice(0, 8);
  return `${base.slice(0, 54).replace(/-+$/, "")}-${hash}`;
}

export function renderKubernetes(m: SandboxManifest, o: KubernetesRenderOptions): KubernetesRendering {
  if (m.tier === "process" || m.image === null) {
    throw new KubernetesRenderError(
      `agent ${m.agent}: the process tier is for local development and has no Kubernetes form; use tier1 or tier2`,
    );
  }
  if (!Array.isArray(o.command) || o.command.length === 0)
    throw new KubernetesRenderError("renderKubernetes: command must be a non-empty argv");
  const name = o.name ?? kubernetesName(m.agent, m.block);
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
    throw new KubernetesRenderError(
      `Job name "${name}" is not a DNS-1123 label (lowercase letters, digits and '-', at most 63)`,
    );
  }
  const [uid, gid] = m.user.split(":").map(Number) as [number, number];
  const podLabels: Record<string, string> = {
    ...(o.labels ?? {}),
    "app.kubernetes.io/managed-by": "symbic",
    "symbi.dev/agent": labelValue(m.agent),
    "symbi.dev/sandbox": name,
  };
  const metadata = (extra: Record<string, unknown> = {}) => ({
    name,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    labels: { ...podLabels },
    ...extra,
  });
  const resources = { memory: `${m.limits.memoryMb}Mi`, cpu: cpuQuantity(m.limits.cpus) };
  const seccompProfile = { type: "RuntimeDefault" };

  const podSpec: Record<string, unknown> = {
    ...(m.tier === "tier2" ? { runtimeClassName: o.runtimeClassName ?? GVISOR_RUNTIME_CLASS } : {}),
    restartPolicy: "Never",
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    hostNetwork: false,
    hostPID: false,
    hostIPC: false,
    securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, seccompProfile },
    containers: [
      {
        name: "tool",
        image: m.image,
        imagePullPolicy: o.imagePullPolicy ?? "IfNotPresent",
        command: [...o.command],
        workingDir: m.workdir,
        env: [
          { name: "HOME", value: "/tmp" },
          { name: "TMPDIR", value: "/tmp" },
          ...Object.keys(m.env)
            .sort()
            .map((k) => ({ name: k, value: m.env[k]! })),
        ],
        securityContext: {
          runAsNonRoot: true,
          runAsUser: uid,
          runAsGroup: gid,
          readOnlyRootFilesystem: m.readOnlyRoot,
          allowPrivilegeEscalation: !m.noNewPrivileges,
          privileged: false,
          capabilities: { drop: [...m.capDrop] },
          seccompProfile,
        },
        resources: { limits: { ...resources }, requests: { ...resources } },
        volumeMounts: m.tmpfs.map((t, i) => ({ name: `tmpfs-${i}`, mountPath: t.path })),
      },
    ],
    volumes: m.tmpfs.map((t, i) => ({
      name: `tmpfs-${i}`,
      emptyDir: { medium: "Memory", sizeLimit: `${t.sizeMb}Mi` },
    })),
  };

  const job: Record<string, unknown> = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: metadata({
      annotations: {
        "symbi.dev/pids-limit": String(m.limits.pids),
        "symbi.dev/tier": m.tier,
        "symbi.dev/manifest-api-version": m.apiVersion,
      },
    }),
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: Math.max(1, Math.ceil(m.timeoutMs / 1000)),
      ...(o.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: o.ttlSecondsAfterFinished } : {}),
      template: { metadata: { labels: { ...podLabels } }, spec: podSpec },
    },
  };

  const networkPolicy: Record<string, unknown> = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(),
    spec: {
      podSelector: { matchLabels: { "symbi.dev/sandbox": name } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [],
      egress: m.network.mode === "none" ? [] : m.network.allow.map((d) => egressRule(m.agent, d)),
    },
  };

  const header = `# Generated by symbic from agent ${m.agent}${m.block === null ? "" : ` (with block ${m.block})`}, sandbox manifest ${m.apiVersion}. Do not edit.\n`;
  const yaml = header + stringify(job) + "---\n" + stringify(networkPolicy);
  return { job, networkPolicy, yaml };
}

/** A label value: at most 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
function labelValue(s: string): string {
  return s
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/** Kubernetes CPU quantity: whole cores as integers, fractions in millicores. */
function cpuQuantity(cpus: number): string {
  return Number.isInteger(cpus) ? String(cpus) : `${Math.max(1, Math.round(cpus * 1000))}m`;
}

function egressRule(agent: string, d: NetworkDestination): Record<string, unknown> {
  return {
    to: [{ ipBlock: { cidr: toCidr(agent, d.host) } }],
    ports: [{ protocol: (d.protocol ?? "tcp").toUpperCase(), port: d.port }],
  };
}

function toCidr(agent: string, host: string): string {
  const [addr, prefix, ...rest] = host.split("/");
  const family = isIP(addr ?? "");
  const max = family === 4 ? 32 : 128;
  if (family !== 0 && rest.length === 0) {
    if (prefix === undefined) return `${addr}/${max}`;
    if (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max) return `${addr}/${Number(prefix)}`;
  }
  throw new KubernetesRenderError(
    `agent ${agent}: network allowance for "${host}" cannot be expressed in a NetworkPolicy (it needs an IP address or CIDR block, not a host name)`,
  );
}
