/**
 * Where discovery and revocation documents come from (§14): the domain's `.well-known` URL over
 * HTTPS, a local folder (`DOMAIN.json`, `DOMAIN.revocations.json`), a trust bundle, one given
 * file, or a chain of these (first that knows the domain wins).
 *
 * Revocation fails closed: when a discovery document names a `revocation_endpoint`, a resolver
 * that cannot produce that revocation document throws rather than returning "no revocations".
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  parseDiscoveryDocument,
  parseJsonDocument,
  parseRevocationDocument,
  type DiscoveryDocument,
  type RevocationDocument,
  type TrustBundle,
} from "./documents.js";
import { SchemaPinError, fsErrorText } from "./errors.js";
import { fetchJson, type FetchOptions } from "./https-fetch.js";

export interface SchemaPinResolver {
  /** Human-readable, for messages: "https://example.com/.well-known/schemapin.json", "trust bundle b.json". */
  describe(domain: string): string;
  /** The domain's discovery document, or null when this resolver does not know the domain. */
  resolveDiscovery(domain: string): Promise<DiscoveryDocument | null>;
  /** The domain's standalone revocation document, or null when there is none. Throws when one is due but unreadable. */
  resolveRevocation(domain: string, discovery: DiscoveryDocument): Promise<RevocationDocument | null>;
}

/** A bare host name with an optional port: nothing that could change the URL's path or authority. */
const DOMAIN =
  /^(?=.{1,253}(:|$))[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/i;

export function checkDomain(domain: string): string {
  const d = domain.endsWith(".") ? domain.slice(0, -1) : domain;
  if (!DOMAIN.test(d)) throw new SchemaPinError("DISCOVERY_INVALID", `not a domain name: ${JSON.stringify(domain)}`);
  return d.toLowerCase();
}

export function wellKnownUrl(domain: string): string {
  return `https://${checkDomain(domain)}/.well-known/schemapin.json`;
}

export class WellKnownResolver implements SchemaPinResolver {
  constructor(private readonly fetchOptions: FetchOptions = {}) {}
  describe(domain: string): string {
    return wellKnownUrl(domain);
  }
  async resolveDiscovery(domain: string): Promise<DiscoveryDocument> {
    const url = wellKnownUrl(domain);
    return parseDiscoveryDocument(await fetchJson(url, this.fetchOptions), url);
  }
  async resolveRevocation(domain: string, discovery: DiscoveryDocument): Promise<RevocationDocument | null> {
    if (!discovery.revocationEndpoint) return null;
    const url = discovery.revocationEndpoint;
    return parseRevocationDocument(await fetchJson(url, this.fetchOptions), url, checkDomain(domain));
  }
}

function readJsonFile(path: string): unknown | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SchemaPinError("DISCOVERY_FETCH_FAILED", `cannot read ${path}: ${fsErrorText(err)}`);
  }
  return parseJsonDocument(text, path);
}

/** Reads a JSON document that must exist (a file the operator named). */
export function readRequiredJsonFile(path: string): unknown {
  const value = readJsonFile(path);
  if (value === undefined) throw new SchemaPinError("DISCOVERY_FETCH_FAILED", `cannot read ${path}: no such file`);
  return value;
}

function missingRevocation(domain: string, discovery: DiscoveryDocument, where: string): SchemaPinError {
  return new SchemaPinError(
    "DISCOVERY_FETCH_FAILED",
    `${domain} publishes revocations at ${discovery.revocationEndpoint}, but ${where} has no revocation document for it (refusing rather than skipping the revocation check)`,
  );
}

export class LocalFileResolver implements SchemaPinResolver {
  constructor(private readonly dir: string) {}
  describe(domain: string): string {
    return join(this.dir, `${domain}.json`);
  }
  async resolveDiscovery(domain: string): Promise<DiscoveryDocument | null> {
    const path = join(this.dir, `${checkDomain(domain)}.json`);
    const value = readJsonFile(path);
    return value === undefined ? null : parseDiscoveryDocument(value, path);
  }
  async resolveRevocation(domain: string, discovery: DiscoveryDocument): Promise<RevocationDocument | null> {
    const d = checkDomain(domain);
    const path = join(this.dir, `${d}.revocations.json`);
    const value = readJsonFile(path);
    if (value === undefined) {
      if (discovery.revocationEndpoint) throw missingRevocation(d, discovery, this.dir);
      return null;
    }
    return parseRevocationDocument(value, path, d);
  }
}

export class TrustBundleResolver implements SchemaPinResolver {
  constructor(
    private readonly bundle: TrustBundle,
    private readonly name: string,
  ) {}
  describe(): string {
    return `trust bundle ${this.name}`;
  }
  async resolveDiscovery(domain: string): Promise<DiscoveryDocument | null> {
    return this.bundle.documents.get(checkDomain(domain)) ?? null;
  }
  async resolveRevocation(domain: string, discovery: DiscoveryDocument): Promise<RevocationDocument | null> {
    const d = checkDomain(domain);
    const doc = this.bundle.revocations.get(d) ?? null;
    if (!doc && discovery.revocationEndpoint) throw missingRevocation(d, discovery, `trust bundle ${this.name}`);
    return doc;
  }
}

/** One discovery document given explicitly (`--discovery FILE`), for one domain or (null) for whichever is asked. */
export class DocumentResolver implements SchemaPinResolver {
  constructor(
    private readonly domain: string | null,
    private readonly discovery: DiscoveryDocument,
    private readonly revocation: RevocationDocument | null,
    private readonly name: string,
  ) {}
  describe(): string {
    return this.name;
  }
  async resolveDiscovery(domain: string): Promise<DiscoveryDocument | null> {
    return this.domain === null || checkDomain(domain) === checkDomain(this.domain) ? this.discovery : null;
  }
  async resolveRevocation(domain: string, discovery: DiscoveryDocument): Promise<RevocationDocument | null> {
    if (!this.revocation && discovery.revocationEndpoint)
      throw missingRevocation(checkDomain(domain), discovery, this.name);
    return this.revocation;
  }
}

export class ChainResolver implements SchemaPinResolver {
  constructor(private readonly resolvers: SchemaPinResolver[]) {}
  describe(domain: string): string {
    return this.resolvers.map((r) => r.describe(domain)).join(", then ");
  }
  private readonly owner = new Map<string, SchemaPinResolver>();
  async resolveDiscovery(domain: string): Promise<DiscoveryDocument | null> {
    for (const r of this.resolvers) {
      const doc = await r.resolveDiscovery(domain);
      if (doc) {
        this.owner.set(checkDomain(domain), r);
        return doc;
      }
    }
    return null;
  }
  async resolveRevocation(domain: string, discovery: DiscoveryDocument): Promise<RevocationDocument | null> {
    const r = this.owner.get(checkDomain(domain));
    if (!r) throw new SchemaPinError("DISCOVERY_FETCH_FAILED", `no discovery document was resolved for ${domain}`);
    return r.resolveRevocation(domain, discovery);
  }
}
