/**
 * The SchemaPin options shared by `symbi tools verify` and `symbi skills verify`: where keys are
 * discovered (HTTPS `.well-known` by default; a discovery file, a folder of them, trust bundles),
 * extra revocation sources (read up front: one that cannot be read refuses the run), the CA for
 * private HTTPS, and the trust store holding TOFU pins.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parseDiscoveryDocument, parseRevocationDocument, type RevocationDocument } from "../../schemapin/documents.js";
import { fsErrorText } from "../../schemapin/errors.js";
import { fetchJson } from "../../schemapin/https-fetch.js";
import { TrustStore, defaultTrustStorePath, TRUST_STORE_ENV } from "../../schemapin/pins.js";
import {
  ChainResolver,
  DocumentResolver,
  LocalFileResolver,
  TrustBundleResolver,
  WellKnownResolver,
  readRequiredJsonFile,
  type SchemaPinResolver,
} from "../../schemapin/resolvers.js";
import { readTrustBundle } from "../../schemapin/trust-bundle.js";
import { SchemaPinVerifier } from "../../schemapin/verify.js";
import { UserError } from "../../formats/exit-codes.js";

export interface VerificationFlags {
  trustStore?: string;
  discovery?: string;
  discoveryDir?: string;
  trustBundle?: string[];
  revocations?: string[];
  ca?: string;
  offline?: boolean;
  tofu?: boolean;
  domain?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function addVerificationOptions(cmd: Command): Command {
  return cmd
    .option("--domain <domain>", "require this signer domain")
    .option("--discovery <file>", "use this discovery document (schemapin.json) instead of fetching one")
    .option(
      "--discovery-dir <dir>",
      "read discovery documents from DIR/<domain>.json (and DIR/<domain>.revocations.json)",
    )
    .option(
      "--trust-bundle <file>",
      "read discovery and revocation documents from a trust bundle (repeatable)",
      collect,
    )
    .option(
      "--revocations <file-or-url>",
      "also check this revocation document; unreadable = refused (repeatable)",
      collect,
    )
    .option("--ca <file>", "trust this CA certificate (PEM) for HTTPS discovery")
    .option("--offline", "never fetch over HTTPS; use only the local sources given")
    .option("--no-tofu", "refuse keys that are not pinned yet instead of pinning them on first use")
    .option(
      "--trust-store <file>",
      `trust store of pinned keys (default: $${TRUST_STORE_ENV} or ~/.symbi/trust-store.json)`,
    );
}

export async function verifierFromFlags(
  flags: VerificationFlags,
): Promise<{ verifier: SchemaPinVerifier; store: TrustStore }> {
  const store = new TrustStore(flags.trustStore ?? defaultTrustStorePath());
  let ca: string | undefined;
  if (flags.ca) {
    try {
      ca = readFileSync(flags.ca, "utf8");
    } catch (err) {
      throw new UserError(`cannot read --ca ${flags.ca}: ${fsErrorText(err)}`);
    }
  }
  const resolvers: SchemaPinResolver[] = [];
  if (flags.discovery) {
    const doc = parseDiscoveryDocument(readRequiredJsonFile(flags.discovery), flags.discovery);
    resolvers.push(new DocumentResolver(flags.domain ?? null, doc, null, flags.discovery));
  }
  if (flags.discoveryDir) resolvers.push(new LocalFileResolver(flags.discoveryDir));
  for (const b of flags.trustBundle ?? [])
    resolvers.push(new TrustBundleResolver(readTrustBundle(b, { trustStore: store }), b));
  if (!flags.offline) resolvers.push(new WellKnownResolver({ ca }));
  if (resolvers.length === 0)
    throw new UserError("--offline needs a local source: --discovery, --discovery-dir or --trust-bundle");
  const revocations: RevocationDocument[] = [];
  for (const source of flags.revocations ?? []) {
    const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
    if (remote && flags.offline) throw new UserError(`--revocations ${source}: a URL cannot be read with --offline`);
    const value = remote ? await fetchJson(source, { ca }) : readRequiredJsonFile(source);
    revocations.push(parseRevocationDocument(value, source));
  }
  const resolver = resolvers.length === 1 ? resolvers[0]! : new ChainResolver(resolvers);
  return {
    verifier: new SchemaPinVerifier({ resolver, trustStore: store, revocations, pinOnFirstUse: flags.tofu !== false }),
    store,
  };
}

/** Reads a P-256 private key file for signing. */
export function readKeyFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new UserError(`cannot read key ${path}: ${fsErrorText(err)}`);
  }
}

export function describePin(pin: string): string {
  return pin === "first-use" ? "key pinned on first use" : pin === "pinned" ? "pinned key" : "not pinned";
}
