/**
 * Robustness: the checker never throws, whatever the parser recovered from. Mutations of the
 * reference agents (deleted ranges, duplicated ranges, inserted junk tokens) at seeded random
 * positions are checked both with and without symbol recording.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Project } from "../../compiler/check/index.js";
import { corpusAgents, corpusMissing, referenceProject } from "../helpers/corpus.js";

const EXAMPLE = referenceProject();
const rtest = EXAMPLE ? test : test.skip;
if (corpusMissing) console.log(`  robustness tests on the reference agents skipped: ${corpusMissing}`);
const SOURCES = corpusAgents().map((a) => a.text);
const JUNK = [
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ",",
  ";",
  "=",
  ":",
  "=>",
  "|",
  "if",
  "else",
  "let",
  "match",
  "for",
  "in",
  "return",
  "allow:",
  "deny:",
  "require:",
  "with",
  "agent",
  "type",
  "policy",
  "function",
  '"',
  "1.5h",
  "vault://x",
  "_",
  "x.",
  "->",
  "<",
  ">",
  "&&",
  "not",
];

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: string, r: () => number): string {
  const at = Math.floor(r() * text.length);
  const len = Math.floor(r() * 40);
  switch (Math.floor(r() * 3)) {
    case 0:
      return text.slice(0, at) + text.slice(at + len);
    case 1:
      return text.slice(0, at) + text.slice(at, at + len) + text.slice(at);
    default:
      return text.slice(0, at) + " " + JUNK[Math.floor(r() * JUNK.length)] + " " + text.slice(at);
  }
}

/** The reference project (contracts, types, helpers), so policy and tool paths are exercised. */
function exampleProject(recordSymbols: boolean): Project {
  const dir = EXAMPLE!;
  const p = new Project(dir, { recordSymbols });
  for (const sub of ["types", "lib"])
    for (const f of readdirSync(join(dir, sub))) p.setFile(join(dir, sub, f), readFileSync(join(dir, sub, f), "utf8"));
  return p;
}

rtest("150 mutated agents check without throwing (incrementally, in the reference project)", () => {
  const r = rng(Number(process.env["SEED"] ?? 20260101));
  const projects = [exampleProject(true), exampleProject(false)];
  for (let i = 0; i < Number(process.env["MUTATIONS"] ?? 150); i++) {
    let text = SOURCES[i % SOURCES.length]!;
    const n = 1 + Math.floor(r() * 3);
    for (let k = 0; k < n; k++) text = mutate(text, r);
    for (const p of projects) {
      p.setFile(join(EXAMPLE!, "agents/mutated.symbi"), text);
      try {
        const res = p.check();
        for (const d of res.diagnostics)
          if (d.file.endsWith("mutated.symbi"))
            assert.ok(
              d.span.start <= d.span.end && d.span.end <= text.length + 1,
              `bad span ${JSON.stringify(d.span)}`,
            );
      } catch (e) {
        if (process.env["DUMP"]) writeFileSync(process.env["DUMP"], text);
        throw new Error(`mutation ${i} threw: ${(e as Error).stack}`);
      }
    }
  }
});

test.run();
