/** What the egress proxy lets through: exact names and ports, addresses inside listed blocks, nothing else. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { EgressAllowlist, normalizeHost, parseAuthority } from "../../runtime/egress/allowlist.js";

test("destinations are read strictly", () => {
  assert.equal(parseAuthority("API.Example.org.:443"), { host: "api.example.org", port: 443 });
  assert.equal(parseAuthority("[2001:DB8::1]:8443"), { host: "2001:db8::1", port: 8443 });
  assert.equal(parseAuthority("10.0.0.1:80"), { host: "10.0.0.1", port: 80 });
  for (const bad of [
    "example.org",
    "example.org:",
    "example.org:0",
    "example.org:0443",
    "example.org:65536",
    "user@example.org:443",
    "example.org:443/path",
    "exa%6dple.org:443",
    "exa mple.org:443",
    "-bad.example:443",
    "2001:db8::1:443",
    "[example.org]:443",
    "ex_ample.org:443",
    "été.example:443",
    "0x7f.1:443",
    "0177.0.0.1:443",
    "2130706433:443",
    `${"a".repeat(64)}.example:443`,
    "",
  ])
    assert.is(parseAuthority(bad), null, bad);
  assert.is(normalizeHost("LOCALHOST."), "localhost");
  assert.is(normalizeHost("[::1]"), "::1");
  assert.is(normalizeHost("[10.0.0.1]"), null);
});

test("names match exactly: same name, same port, no suffix or sub-domain", () => {
  const a = new EgressAllowlist([{ host: "Example.org", port: 443 }]);
  assert.ok(a.decide({ host: "example.org", port: 443 }).ok);
  for (const [host, port] of [
    ["example.org", 80],
    ["www.example.org", 443],
    ["evilexample.org", 443],
    ["example.org.evil.net", 443],
    ["93.184.216.34", 443],
  ] as const) {
    const d = a.decide({ host, port });
    assert.not.ok(d.ok, `${host}:${port}`);
    if (!d.ok) assert.match(d.reason, /is not in the allowlist/);
  }
});

test("addresses match listed addresses and blocks of their family; names never match them", () => {
  const a = new EgressAllowlist([
    { host: "10.1.0.0/16", port: 5432 },
    { host: "2001:db8::/32", port: 443 },
    { host: "192.0.2.7", port: 80 },
    { host: "203.0.113.0/24", port: 53, protocol: "udp" },
  ]);
  assert.ok(a.decide({ host: "10.1.2.3", port: 5432 }).ok);
  assert.ok(a.decide({ host: "2001:db8::5", port: 443 }).ok);
  assert.ok(a.decide({ host: "192.0.2.7", port: 80 }).ok);
  assert.not.ok(a.decide({ host: "10.2.0.1", port: 5432 }).ok);
  assert.not.ok(a.decide({ host: "::ffff:10.1.2.3", port: 5432 }).ok, "a v4-mapped v6 address is not the v4 block");
  assert.not.ok(a.decide({ host: "192.0.2.8", port: 80 }).ok);
  assert.not.ok(a.decide({ host: "203.0.113.1", port: 53 }).ok, "UDP entries do not pass an HTTP proxy");
  assert.not.ok(a.decide({ host: "localhost", port: 5432 }).ok);
  assert.equal(a.entries, ["10.1.0.0/16:5432", "2001:db8::/32:443", "192.0.2.7:80"]);
});

test("an entry that is neither a name nor an address is refused when the list is made", () => {
  assert.throws(() => new EgressAllowlist([{ host: "bad_host!", port: 1 }]), TypeError);
});

test.run();
