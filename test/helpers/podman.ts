/**
 * Playing emitted Kubernetes objects with Podman (`podman kube play`), an engine independent of
 * ours that reads Kubernetes YAML, so a Job can be shown to run without a cluster.
 *
 * What the test plays, and why it differs from `kubectl apply` (each difference is a part the
 * cluster would do):
 * - a Job's pod template becomes a Pod: Podman 4.3 (Debian 12) plays Pods, ConfigMaps and
 *   claims, not Jobs; the pod spec is the emitted one, unchanged;
 * - a NetworkPolicy has no Podman form: the pod's network stands in for it (`--network none`
 *   for "no egress"; an internal network for an allowlist), and the test asserts what the
 *   emitted policy says;
 * - a Secret is given to Podman's secret store with its values as plain text: Podman 4.3 reads
 *   `kind: Secret` only from there, and writes `data` values into the volume without base64
 *   decoding them (containers/podman#17071);
 * - `default_ulimits` (nofile, nproc) are set in a containers.conf of the test: Podman's
 *   defaults exceed the hard limits of some CI machines, and runc then refuses to start.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { REPO } from "./corpus.js";

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking the event loop (servers of the test keep answering). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${e.message}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment Podman runs with in these tests (see the header). */
export function podmanEnv(dir: string): NodeJS.ProcessEnv {
  const conf = join(dir, "containers.conf");
  writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n');
  return { ...process.env, CONTAINERS_CONF: conf };
}

/** Why Podman cannot play pods here, or null when it can (bounded). */
export async function podmanUnavailable(): Promise<string | null> {
  const info = await run("podman", ["info", "--format", "{{.Host.OCIRuntime.Name}}"], { timeoutMs: 30_000 });
  if (info.code === null) return "podman is not installed (apt-get install podman catatonit)";
  if (info.code !== 0) return `podman does not work here: ${info.stderr.trim().split("\n").pop()}`;
  const catatonit = await run("sh", ["-c", "command -v catatonit || test -x /usr/libexec/podman/catatonit"]);
  if (catatonit.code !== 0) return "podman kube play needs catatonit (apt-get install catatonit)";
  const fresh = await run("bash", [join(REPO, "scripts/build-runtime-images.sh"), "--check", "--engines", "podman"], {
    timeoutMs: 60_000,
  });
  if (fresh.code !== 0)
    return `the runtime image is missing or stale in Podman (npm run runtime:image -- --engines docker,podman): ${fresh.stderr.trim()}`;
  return null;
}

export type K8sObject = Record<string, any>;

/** The Pod a Job's controller would create: the template's metadata and spec, as emitted. */
export function podOfJob(job: K8sObject): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: job.metadata.name, labels: job.spec.template.metadata.labels },
    spec: job.spec.template.spec,
  };
}

/** The Pod a Deployment's controller would create. */
export function podOfDeployment(d: K8sObject): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: d.metadata.name, labels: d.spec.template.metadata.labels },
    spec: d.spec.template.spec,
  };
}

/** A ConfigMap of binary files. */
export function configMap(name: string, files: Record<string, Buffer>): K8sObject {
  const binaryData: Record<string, string> = {};
  for (const [k, v] of Object.entries(files)) binaryData[k] = v.toString("base64");
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, binaryData };
}

/** Everything one test creates in Podman, removed by `cleanup` (by name, never by pattern). */
export class PodmanScene {
  readonly dir = mkdtempSync(join(tmpdir(), "symbi-podman-"));
  readonly env = podmanEnv(this.dir);
  private readonly pods: string[] = [];
  private readonly volumes: string[] = [];
  private readonly secrets: string[] = [];
  private readonly networks: string[] = [];

  podman(args: string[], timeoutMs = 120_000): Promise<Ran> {
    return run("podman", args, { env: this.env, timeoutMs });
  }

  /** A Secret, given to Podman's store (see the header); its volume is named after it. */
  async secret(name: string, values: Record<string, string>): Promise<void> {
    const file = join(this.dir, `${name}.secret.yaml`);
    writeFileSync(file, stringify({ apiVersion: "v1", kind: "Secret", metadata: { name }, data: values }));
    this.secrets.push(name);
    this.volumes.push(name);
    const r = await this.podman(["secret", "create", name, file]);
    if (r.code !== 0) throw new Error(`podman secret create ${name}: ${r.stderr}`);
  }

  async network(name: string, internal: boolean): Promise<void> {
    this.networks.push(name);
    const r = await this.podman(["network", "create", ...(internal ? ["--internal"] : []), name]);
    if (r.code !== 0) throw new Error(`podman network create ${name}: ${r.stderr}`);
  }

  /** Plays objects (ConfigMaps, claims, Pods); records what it will have to remove. */
  async play(objects: K8sObject[], network: string): Promise<Ran> {
    for (const o of objects) {
      if (o.kind === "Pod") this.pods.push(o.metadata.name);
      if (o.kind === "ConfigMap" || o.kind === "PersistentVolumeClaim") this.volumes.push(o.metadata.name);
    }
    const file = join(this.dir, `play-${this.pods.length}.yaml`);
    writeFileSync(file, objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join("---\n"));
    return this.podman(["kube", "play", "--network", network, file]);
  }

  /** Waits for a container to exit; returns its exit code and logs. */
  async wait(
    container: string,
    timeoutMs = 120_000,
  ): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
    const w = await this.podman(["wait", container], timeoutMs);
    const logs = await this.podman(["logs", container]);
    const code = w.code === 0 ? Number(w.stdout.trim()) : null;
    return { exitCode: Number.isInteger(code) ? code : null, stdout: logs.stdout, stderr: logs.stderr };
  }

  async volumePath(name: string): Promise<string> {
    const r = await this.podman(["volume", "inspect", "--format", "{{.Mountpoint}}", name]);
    if (r.code !== 0) throw new Error(`podman volume inspect ${name}: ${r.stderr}`);
    return r.stdout.trim();
  }

  async cleanup(): Promise<void> {
    for (const p of this.pods) await this.podman(["pod", "rm", "--force", "--time", "0", p]);
    for (const v of this.volumes) await this.podman(["volume", "rm", "--force", v]);
    for (const s of this.secrets) await this.podman(["secret", "rm", s]);
    for (const n of this.networks) await this.podman(["network", "rm", "--force", n]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
