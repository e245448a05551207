/**
 * The container tiers on this machine: the Docker daemon (reachable, with seccomp), every image
 * the project's agents use (present, by digest), and for Tier2 a `runsc` runtime that really is
 * gVisor — proved from inside a throwaway container (gVisor's kernel log starts with "Starting
 * gVisor"), never trusted by its name. Each is a failure only when some agent needs it.
 */
import Docker from "dockerode";
import { DEFAULT_SANDBOX_IMAGE } from "../../formats/sandbox-manifest.js";
import { dockerEndpoint } from "../sandbox/docker-driver.js";
import type { ProjectNeeds } from "./project.js";
import type { Finding } from "./report.js";

const TIMEOUT_MS = 5000;

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms).unref(),
    ),
  ]);
}

function reason(e: unknown): string {
  const err = e as { code?: string; message?: string };
  return err?.code ?? String(err?.message ?? e).split("\n")[0]!;
}

function agentsText(agents: string[]): string {
  return agents.length === 1 ? `agent ${agents[0]}` : `agents ${agents.join(", ")}`;
}

export async function dockerFindings(needs: ProjectNeeds, docker: Docker = new Docker()): Promise<Finding[]> {
  const out: Finding[] = [];
  const containerAgents = [...(needs.tiers.get("tier1") ?? []), ...(needs.tiers.get("tier2") ?? [])];
  const needed = containerAgents.length > 0;
  const where = dockerEndpoint(docker);
  const missing = (subject: string, detail: string, fix: string): Finding =>
    needed
      ? { subject, status: "fail", detail, fix }
      : { subject, status: "skip", detail: `${detail} (no agent needs it)` };

  let info: { Runtimes?: Record<string, { path?: string }>; SecurityOptions?: string[]; ServerVersion?: string };
  try {
    await within(docker.ping(), TIMEOUT_MS, "ping");
    info = (await within(docker.info(), TIMEOUT_MS, "info")) as typeof info;
  } catch (e) {
    out.push(
      missing(
        "Docker",
        `not reachable at ${where} (${reason(e)})${needed ? ` — needed by ${agentsText(containerAgents)}` : ""}`,
        "start the Docker daemon (dockerd), or point DOCKER_HOST at it",
      ),
    );
    return out;
  }
  const seccomp = (info.SecurityOptions ?? []).some((o) => o.includes("name=seccomp"));
  out.push(
    seccomp
      ? { subject: "Docker", status: "ok", detail: `${info.ServerVersion ?? "daemon"} at ${where}, seccomp available` }
      : missing("Docker", `the daemon at ${where} has no seccomp support`, "run a Docker daemon built with seccomp"),
  );

  for (const [image, agents] of needs.images) {
    try {
      const i = (await within(docker.getImage(image).inspect(), TIMEOUT_MS, "inspect")) as {
        Id: string;
        RepoDigests?: string[];
      };
      out.push({
        subject: `image ${image}`,
        status: "ok",
        detail: `present, ${i.Id}${i.RepoDigests?.length ? ` (${i.RepoDigests[0]})` : ""}`,
      });
    } catch (e) {
      const notFound = (e as { statusCode?: number }).statusCode === 404;
      out.push({
        subject: `image ${image}`,
        status: "fail",
        detail: `${notFound ? "not present" : `cannot be inspected (${reason(e)})`} — used by ${agentsText(agents)}`,
        fix: image === DEFAULT_SANDBOX_IMAGE ? "build it with: npm run sandbox:image" : `pull or build ${image}`,
      });
    }
  }

  const tier2 = needs.tiers.get("tier2") ?? [];
  const runsc = info.Runtimes?.runsc;
  if (!runsc) {
    out.push(
      tier2.length > 0
        ? {
            subject: "gVisor (runsc)",
            status: "fail",
            detail: `not registered with the Docker daemon — Tier2 is needed by ${agentsText(tier2)}`,
            fix: 'install the runsc package and register it: dockerd --add-runtime runsc=/usr/bin/runsc (or "runtimes" in daemon.json)',
          }
        : { subject: "gVisor (runsc)", status: "skip", detail: "not registered (no agent runs in Tier2)" },
    );
    return out;
  }
  const proof = await proveGvisor(docker);
  if (proof.ok)
    out.push({
      subject: "gVisor (runsc)",
      status: "ok",
      detail: `registered (${runsc.path ?? "runsc"}) and really gVisor: ${proof.detail}`,
    });
  else
    out.push({
      subject: "gVisor (runsc)",
      status: tier2.length > 0 ? "fail" : "warn",
      detail: `registered as ${runsc.path ?? "runsc"}, but ${proof.detail}${tier2.length > 0 ? ` — Tier2 is needed by ${agentsText(tier2)}` : ""}`,
      fix: "register gVisor's runsc binary as the runsc runtime (a runtime's name proves nothing)",
    });
  return out;
}

/**
 * Runs `dmesg` in a throwaway container under the runtime named runsc: gVisor's own kernel log
 * says "Starting gVisor"; a host kernel's says something else (or nothing, without CAP_SYSLOG,
 * which the probe — not any tool — is given).
 */
async function proveGvisor(docker: Docker): Promise<{ ok: boolean; detail: string }> {
  let container: Docker.Container | undefined;
  try {
    container = await within(
      docker.createContainer({
        Image: DEFAULT_SANDBOX_IMAGE,
        Cmd: ["dmesg"],
        NetworkDisabled: true,
        HostConfig: { Runtime: "runsc", NetworkMode: "none", CapAdd: ["SYSLOG"], CapDrop: ["ALL"] },
        Labels: { "dev.symbi.doctor": "gvisor-proof" },
      }),
      TIMEOUT_MS,
      "create",
    );
    await within(container.start(), 20_000, "start");
    await within(container.wait(), 20_000, "wait");
    const logs = (await within(container.logs({ stdout: true, stderr: true }), TIMEOUT_MS, "logs")) as Buffer;
    const text = logs.toString("latin1");
    if (/Starting gVisor/.test(text)) return { ok: true, detail: 'its kernel log says "Starting gVisor"' };
    return { ok: false, detail: 'its kernel log inside a container does not say "Starting gVisor": it is not gVisor' };
  } catch (e) {
    return {
      ok: false,
      detail: `the proof container could not run (${reason(e)}; it needs ${DEFAULT_SANDBOX_IMAGE}: npm run sandbox:image)`,
    };
  } finally {
    if (container) await container.remove({ force: true }).catch(() => {});
  }
}
