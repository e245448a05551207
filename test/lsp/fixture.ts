/** A small project on disk for the language-server tests: two source files and a tool contract. */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CORPUS } from "../helpers/corpus.js";

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

export function makeFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), "symbi-lsp-"));
  mkdirSync(join(dir, "tools"));
  copyFileSync(join(CORPUS, "tools/nmap_scan.clad.toml"), join(dir, "tools/nmap_scan.clad.toml"));
  writeFileSync(join(dir, "types.symbi"), TYPES_SYMBI);
  writeFileSync(join(dir, "main.symbi"), MAIN_SYMBI);
  const uri = (name: string) => pathToFileURL(join(dir, name)).href;
  return { dir, mainUri: uri("main.symbi"), typesUri: uri("types.symbi"), uri };
}
