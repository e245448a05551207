/**
 * The runtime's egress relays in a Kubernetes pod (`symbi exec --egress-gateway`): one proxy on
 * the pod's loopback per distinct allowlist, which the tools reach through HTTP(S)_PROXY. Each
 * attempt is written to the run's audit log (`net_connect`, before anything is connected; then
 * `net_close` with its outcome and byte counts) and, when allowed, carried through the egress
 * gateway with the gateway's token. With no audit sink attached an attempt is refused: nothing
 * leaves unrecorded.
 */
import type { NetworkDestination } from "../../formats/sandbox-manifest.js";
import { EgressAllowlist } from "./allowlist.js";
import { startEgressProxy, type EgressAttempt, type EgressOutcome, type EgressProxy } from "./proxy.js";

export type NetworkAuditSink = (type: "net_connect" | "net_close", details: EgressAttempt | EgressOutcome) => void;

export interface EgressGateway {
  host: string;
  port: number;
  token: string;
}

/** Attempts one relay takes before it stops (each is an audit record; a tool must not flood the log). */
export const RELAY_MAX_ATTEMPTS = 10_000;

export class EgressRelays {
  private readonly relays = new Map<string, Promise<EgressProxy>>();
  private sink: NetworkAuditSink | null = null;

  constructor(readonly gateway: EgressGateway) {}

  /** The relay for an allowlist (started on first use). */
  relayFor(allow: readonly NetworkDestination[]): Promise<EgressProxy> {
    const key = JSON.stringify(allow);
    let r = this.relays.get(key);
    if (!r) {
      r = startEgressProxy({
        listen: { host: "127.0.0.1", port: 0 },
        allow: new EgressAllowlist(allow),
        upstream: { kind: "gateway", ...this.gateway },
        maxAttempts: RELAY_MAX_ATTEMPTS,
        onAttempt: (a) => this.record("net_connect", a),
        onOutcome: (o) => this.record("net_close", o),
      });
      this.relays.set(key, r);
      r.catch(() => this.relays.delete(key));
    }
    return r;
  }

  /** Where attempts are recorded until the returned function detaches it. */
  attachAudit(sink: NetworkAuditSink): () => void {
    this.sink = sink;
    return () => {
      if (this.sink === sink) this.sink = null;
    };
  }

  private record(type: "net_connect" | "net_close", details: EgressAttempt | EgressOutcome): void {
    if (!this.sink) throw new Error("no audit log attached");
    this.sink(type, details);
  }

  async close(): Promise<void> {
    const all = [...this.relays.values()];
    this.relays.clear();
    await Promise.allSettled(all.map((r) => r.then((p) => p.close())));
  }
}

/** The environment that sends a tool's HTTP(S) traffic through `proxyUrl` (curl, wget, git, …). */
export function proxyEnvironment(proxyUrl: string): Record<string, string> {
  return {
    HTTP_PROXY: proxyUrl,
    HTTPS_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    https_proxy: proxyUrl,
    ALL_PROXY: proxyUrl,
    NO_PROXY: "",
    no_proxy: "",
  };
}
