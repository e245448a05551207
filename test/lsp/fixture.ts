/** A small project on disk for the language-server tests: two source files and a tool contract. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const TYPES_SYMBI = `type ScanReport = {
    target: String,
    open_ports: List<int>,
}

function summarize(report: ScanReport) -> String {
    return format("{} has {} open ports", report.target, len(report.open_ports));
}
`;

export const MAIN_SYMBI = `// Scans one host.
agent scanner(target: String) -> String {
    capabilities = ["network_scan", "nmap_scan"]

    policy scanning {
        allow: nmap_scan(host, mode) if host == target
        deny: nmap_scan(any, "os_detect")
    }

    with sandbox = "Tier1", timeout = 30000 {
        let report = ScanReport { target: target, open_ports: [22, 80] };
        count = len(report.open_ports);
        print(count);
        return summarize(report);
    }
}
`;

export interface Fixture {
  dir: string;
  mainUri: string;
  typesUri: string;
  uri(name: string): string;
}

/** A scanner contract of our own (the tests need one with enum, string and scope_target arguments). */
const NMAP_CONTRACT = `[tool]
name = "nmap_scan"
version = "1.0.0"
binary = "nmap"
description = "Network port scanning and service detection"
timeout_seconds = 600
risk_tier = "low"

[args.target]
position = 1
required = true
type = "scope_target"
description = "Host, IP address or CIDR range to scan"

[args.scan_type]
position = 2
required = true
type = "enum"
allowed = ["ping", "service", "version", "syn", "os_detect", "aggressive", "vuln_script"]
description = "Kind of scan"

[args.extra_flags]
position = 3
required = false
type = "string"
default = ""
description = "Additional flags"

[command]
template = "nmap {_scan_flags} -oX - {extra_flags} {target}"

[command.mappings.scan_type]
ping = "-sn"
service = "-sT -sV"
version = "-sV"
syn = "-sS"
os_detect = "-O"
aggressive = "-A"
vuln_script = "--script=vuln"

[output]
format = "xml"
envelope = true

[output.schema]
type = "object"

[output.schema.properties.hosts]
type = "array"

[output.schema.properties.hosts.items.properties.ip]
type = "string"
`;

export function makeFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), "symbi-lsp-"));
  mkdirSync(join(dir, "tools"));
  writeFileSync(join(dir, "tools/nmap_scan.clad.toml"), NMAP_CONTRACT);
  writeFileSync(join(dir, "types.symbi"), TYPES_SYMBI);
  writeFileSync(join(dir, "main.symbi"), MAIN_SYMBI);
  const uri = (name: string) => pathToFileURL(join(dir, name)).href;
  return { dir, mainUri: uri("main.symbi"), typesUri: uri("types.symbi"), uri };
}
