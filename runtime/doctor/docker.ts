/**
 * The container tiers on this machine: the Docker daemon (reachable, with seccomp), every image
 * the project's agents use (present, by digest), and for Tier2 a `runsc` runtime that really is
 * gVisor — proved from inside a container by the sandbox driver's own check, never trusted by
 * its name. Each is a failure only when some agent needs it.
 */
import Docker from "dockerode";
import { DEFAULT_SANDBOX_IMAGE, defaultSandboxManifest } from "../../formats/sandbox-manifest.js";
import { createSandbox, dockerEndpoint, isSandboxError } from "../sandbox/index.js";
import type { ProjectNeeds } from "./project.js";
import type { DoctorFinding } from "./report.js";

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

export async function dockerFindings(needs: ProjectNeeds, docker: Docker = new Docker()): Promise<DoctorFinding[]> {
  const out: DoctorFinding[] = [];
  const containerAgents = [...(needs.tiers.get("tier1") ?? []), ...(needs.tiers.get("tier2") ?? [])];
  const needed = containerAgents.length > 0;
  const where = dockerEndpoint(docker);
  const missing = (subject: string, detail: string, fix: string): DoctorFinding =>
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
      detail: `registered as ${runsc.path ?? "runsc"}, but the proof failed: ${proof.detail}${tier2.length > 0 ? ` — Tier2 is needed by ${agentsText(tier2)}` : ""}`,
      fix: "register gVisor's runsc with --oci-seccomp (see .ci/run); a runtime's name proves nothing",
    });
  return out;
}

/**
 * The proof the runtime itself requires before a Tier2 run (runtime/sandbox/docker-driver.ts): a
 * container under the runtime named runsc must run on a kernel other than the host's, with the
 * seccomp profile applied inside. Doctor asks the driver, so it reports exactly what `symbi exec`
 * would refuse.
 */
async function proveGvisor(docker: Docker): Promise<{ ok: boolean; detail: string }> {
  const manifest = defaultSandboxManifest({ agent: "doctor", tier: "tier2" });
  try {
    await within(createSandbox(manifest, { docker: { docker } }).check(), 60_000, "the gVisor proof");
    return { ok: true, detail: "a container under it runs on gVisor's own kernel, with seccomp applied inside" };
  } catch (e) {
    return { ok: false, detail: isSandboxError(e) ? e.message : reason(e) };
  }
}
