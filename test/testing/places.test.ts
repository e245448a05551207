/**
 * The places of a test file's cases and rows (testing/places.ts): spans found on the worker
 * thread equal those found on this one, for a file long enough to be located on a thread, with
 * rows written in several ways (inline tables, dotted keys, a multi-line string holding
 * `[[case]]`), and a file too short for a thread finds them here.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseTestFile, type TestFile } from "../../testing/file.js";
import { LOCATE_IN_THREAD_CHARS, Locating } from "../../testing/places.js";
import type { Span } from "../../grammar/span.js";

function bigTestFile(): string {
  const out = ['agent = "a"', "[context]", 'user = { id = "u", need_to_know = ["/x"] }', ""];
  for (let c = 0; out.join("\n").length < 2 * LOCATE_IN_THREAD_CHARS; c++) {
    out.push("[[case]]", `name = """case ${c}`, "[[case]]", '"""', 'tool = "read"', 'expect = "allow"', "rows = [");
    for (let r = 0; r < 100; r++) out.push(`  { path = "/data/${c}-${r}.csv", "n" = ${r} },`);
    out.push("]", "", "[[case]]", `name = "dotted ${c}"`, 'tool = "read"', 'args.path = "/p"', 'expect = "deny"', "");
  }
  return out.join("\n");
}

const spansOf = (f: TestFile): Span[] =>
  f.cases.flatMap((c) => [c.place.span, ...(c.row ? [c.row.place.span] : [])]).map((s) => ({ ...s }));

test("spans found on the worker thread are those found here", async () => {
  const text = bigTestFile();
  assert.ok(text.length >= LOCATE_IN_THREAD_CHARS);
  const here = parseTestFile(text, "big.test.toml", "/x/big.test.toml").file!;
  const threaded = parseTestFile(text, "big.test.toml", "/x/big.test.toml").file!;
  // Two large files and a small one: the thread answers the large ones, file after file.
  const otherText = text.replace(/\/data\//g, "/other/");
  const other = parseTestFile(otherText, "o.test.toml", "/x/o.test.toml").file!;
  const smallText = '[[case]]\nname = "c"\ntool = "t"\nexpect = "deny"\n';
  const small = parseTestFile(smallText, "s.test.toml", "/x/s.test.toml").file!;
  const locating = new Locating([text, smallText, otherText]);
  locating.ask(0, threaded.places);
  locating.ask(1, small.places);
  locating.ask(2, other.places);
  await locating.settle();
  assert.ok(threaded.places.answeredInThread > 1000, "the worker answered");
  assert.is(other.places.answeredInThread, threaded.places.answeredInThread);
  assert.is(small.places.answeredInThread, 0);
  assert.equal(spansOf(other), spansOf(parseTestFile(otherText, "o.test.toml", "/x/o.test.toml").file!));
  assert.is(small.cases[0]!.place.span.line, 1);
  // Read after settle: had the worker not answered, they would have been found here.
  const fromThread = spansOf(threaded);
  const local = spansOf(here);
  assert.ok(local.length > 1000);
  assert.equal(fromThread, local);
  // Spot checks against the text.
  const first = threaded.cases[0]!;
  assert.is(text.slice(first.place.span.start, first.place.span.end), "[[case]]");
  assert.is(text.slice(first.row!.place.span.start, first.row!.place.span.start + 7), "{ path ");
});

test("a short file's spans are found here, on settle", async () => {
  const text =
    'agent = "a"\n[[case]]\nname = "c"\ntool = "read"\nexpect = "allow"\nrows = [ { path = "/a" }, { path = "/b" } ]\n';
  const f = parseTestFile(text, "s.test.toml", "/x/s.test.toml").file!;
  const locating = new Locating([text]);
  locating.ask(0, f.places);
  await locating.settle();
  assert.is(f.places.answeredInThread, 0);
  assert.equal(
    f.cases.map((c) => [c.row!.place.span.line, c.row!.place.span.col]),
    [
      [6, 10],
      [6, 27],
    ],
  );
});

test.run();
