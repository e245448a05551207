/**
 * Issue 11 item 2, "non-canonical spellings beat denies": a path, host or URL spelt another way
 * must be decided as the thing it names, and the tool must receive exactly the value that was
 * decided. A real project (contracts, policy) is compiled by the real compiler and run by the
 * real runtime in the process tier; the tools echo the argument they received.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyFiles, loadPublicKey } from "../../runtime/audit/keys.js";
import { verifyLog } from "../../runtime/audit/verify.js";
import { compileToBundles, execAgent, type Bundle } from "../../runtime/exec/index.js";
import { echoTool } from "./echo-tool.js";

const work = mkdtempSync(join(tmpdir(), "symbi-canonical-"));
const key = join(work, "audit.key");
generateKeyFiles(key);
const publicKey = loadPublicKey(`${key}.pub`);

const AGENT = `
agent probe(kind: String, value: String) {
    capabilities = ["read_file", "scan", "fetch", "lookup"]
    policy p {
        allow: read_file(path)
        deny: read_file("/etc/passwd")
        deny: read_file(path) if path.starts_with("/etc/")
        allow: scan(target)
        deny: scan("10.0.0.1")
        deny: scan("internal.corp")
        deny: scan(target) if target.starts_with("10.0.0.")
        allow: lookup(ip)
        deny: lookup("10.0.0.1")
        allow: fetch(url)
        deny: fetch(url) if url.starts_with("http://169.254.169.254")
    }
    with sandbox = "process", timeout = 20s {
        try {
            if kind == "path" { return read_file(value).raw_output.trim(); }
            if kind == "host" { return scan(value).raw_output.trim(); }
            if kind == "ip" { return lookup(value).raw_output.trim(); }
            return fetch(value).raw_output.trim();
        } catch (PolicyDenied e) {
            return "denied";
        } catch (ArgumentError e) {
            return "refused";
        }
    }
}
`;

let bundle: Promise<Bundle> | undefined;
function probe(): Promise<Bundle> {
  bundle ??= (async () => {
    const dir = join(work, "project");
    mkdirSync(join(dir, "tools"), { recursive: true });
    mkdirSync(join(dir, "agents"), { recursive: true });
    writeFileSync(
      join(dir, "tools", "read_file.clad.toml"),
      echoTool({ name: "read_file", arg: "path", type: "path" }),
    );
    writeFileSync(
      join(dir, "tools", "scan.clad.toml"),
      echoTool({ name: "scan", arg: "target", type: "scope_target" }),
    );
    writeFileSync(join(dir, "tools", "lookup.clad.toml"), echoTool({ name: "lookup", arg: "ip", type: "ip_address" }));
    writeFileSync(join(dir, "tools", "fetch.clad.toml"), echoTool({ name: "fetch", arg: "url", type: "url" }));
    writeFileSync(join(dir, "agents", "probe.symbi"), AGENT);
    const compiled = await compileToBundles(join(dir, "agents", "probe.symbi"));
    return compiled.bundles.get("probe")!;
  })();
  return bundle;
}

let runs = 0;
/** What the agent saw (the echoed value, "denied" or "refused"), and the arguments the audit log recorded as decided. */
async function attempt(kind: string, value: string): Promise<{ outcome: string; decidedArgs: unknown[] }> {
  const log = join(work, `run-${++runs}.log`);
  const r = await execAgent({
    bundle: await probe(),
    input: { kind, value },
    approve: "none",
    auditLog: log,
    keyFile: key,
    onLog: () => {},
  });
  assert.is(r.status, "ok", r.message);
  const v = verifyLog(log, { publicKey });
  assert.ok(v.ok, "the audit log verifies");
  const decided = readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; details: { args?: Record<string, unknown> } })
    .filter((rec) => rec.type === "decision")
    .map((rec) => rec.details.args);
  return { outcome: r.value as string, decidedArgs: decided };
}

const T = suite("issue 11 item 2: non-canonical spellings beat denies");

T("paths: `//etc/passwd`, `/./etc/passwd`, `/etc//passwd/` are /etc/passwd and denied", async () => {
  for (const spelling of ["/etc/passwd", "//etc/passwd", "/./etc/passwd", "/etc//passwd/", "/etc/./shadow"])
    assert.is((await attempt("path", spelling)).outcome, "denied", spelling);
});

T("hosts: case, a final dot, and every inet_aton spelling of 10.0.0.1 are denied", async () => {
  for (const spelling of [
    "INTERNAL.corp",
    "internal.corp.",
    "Internal.Corp.",
    "167772161",
    "0x0a.0.0.1",
    "012.0.0.1",
    "10.1",
    "::ffff:10.0.0.1",
    "10.0.0.7",
  ])
    assert.is((await attempt("host", spelling)).outcome, "denied", spelling);
  for (const spelling of ["::ffff:10.0.0.1", "::FFFF:A00:1", "0:0:0:0:0:ffff:a00:1"])
    assert.is((await attempt("ip", spelling)).outcome, "denied", spelling);
});

T("URLs: scheme case, numeric hosts and user info cannot reach the metadata address", async () => {
  for (const spelling of [
    "HTTP://169.254.169.254/latest",
    "http://0xA9FEA9FE/",
    "http://2852039166/",
    "http://0251.0376.0251.0376/",
    "http://169.254.169.254:80/",
    "http://%31%36%39.254.169.254/",
  ])
    assert.is((await attempt("url", spelling)).outcome, "denied", spelling);
  // User info hides the host from a reader: refused outright, before the gate.
  assert.is((await attempt("url", "http://x@169.254.169.254/")).outcome, "refused");
});

T("the tool receives exactly the canonical value that was decided", async () => {
  const cases: Array<[string, string, string]> = [
    ["path", "/tmp//./data/", "/tmp/data"],
    ["host", "Example.COM.", "example.com"],
    ["host", "192.168.1.10/24", "192.168.1.0/24"],
    ["ip", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["url", "HTTPS://Example.com:443/a/./b/../%7Euser/%61dmin", "https://example.com/a/~user/admin"],
  ];
  for (const [kind, spelling, canonical] of cases) {
    const r = await attempt(kind, spelling);
    assert.is(r.outcome, canonical, `${kind} ${spelling}: the tool's argv`);
    const arg = Object.values(r.decidedArgs[0] as Record<string, unknown>)[0];
    assert.is(arg, canonical, `${kind} ${spelling}: the value the gate decided`);
  }
});

T.run();
