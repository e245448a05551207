import { suite } from "uvu";
import * as assert from "uvu/assert";
import { DslError, FatalError, display, toJson, type Value } from "../../runtime/interpreter/index.js";
import { body, compileAgentSource, PureHost, rejects, runAgentSource } from "./helpers.js";

const run = (code: string, extra = "", params: Record<string, Value> = { x: 1 }) =>
  runAgentSource(body(code, extra), params);
const json = async (code: string, extra = "", params?: Record<string, Value>) => toJson(await run(code, extra, params));

const Arith = suite("arithmetic and operators");

Arith("ints stay ints, floats spread, / is true division, % follows the dividend", async () => {
  assert.equal(
    await json("[7 / 2, -7 / 2, 6 / 3, 7 % 3, -7 % 3, 2 + 3 * 4, (2 + 3) * 4, 7.0 / 2, 1 + 0.5]"),
    [3.5, -3.5, 2, 1, -1, 14, 20, 3.5, 1.5],
  );
  assert.is(display(await run("7.0 / 2")), "3.5");
  assert.is(display(await run("2 * 1.5")), "3");
  assert.ok(typeof (await run("6 / 3")) === "object", "6 / 3 is a float");
});

Arith("division by zero and integer overflow are located runtime errors", async () => {
  await rejects(
    run("let z = 0;\n    1 / z"),
    (e) =>
      e instanceof DslError &&
      e.kind === "RuntimeError" &&
      /division by zero/.test(e.message) &&
      e.location?.span.line === 5,
    "div",
  );
  await rejects(
    run("9007199254740991 + 1"),
    (e) => e instanceof DslError && /integer overflow/.test(e.message),
    "overflow",
  );
});

Arith("== is structural; 1 == 1.0; null == None; ordering on numbers, strings, durations, levels", async () => {
  assert.equal(
    await json(
      '[1 == 1.0, [1, {a: 2}] == [1, {a: 2}], null == None, None == Some(1), "a" < "b", 2 < 1.5, 90s > 1m, "secret" >= "internal", "internal" < "confidential", Some(2) == Some(2)]',
    ),
    [true, true, true, false, true, false, true, true, true, true],
  );
});

Arith("comparing unordered kinds is an error; && and || need bools and short-circuit", async () => {
  await rejects(
    run("[1] < [2]"),
    (e) => e instanceof DslError && /cannot compare List with List/.test(e.message),
    "cmp",
  );
  await rejects(run("1 && true"), (e) => e instanceof DslError && /needs bool operands/.test(e.message), "and");
  assert.is(await run("false && (1 / 0 == 1)"), false);
  assert.is(await run("true || (1 / 0 == 1)"), true);
});

Arith("+ joins strings with any value's text, lists and durations; in tests membership", async () => {
  assert.equal(
    await json(
      '["n=" + 5, "x" + [1, "a"], [1] + [2], 1m + 30s, 2 in [1, 2], "b" in {b: 1}, "ell" in "hello", 3 in [1]]',
    ),
    ["n=5", 'x[1, "a"]', [1, 2], "90s", true, true, true, false],
  );
});

const Scopes = suite("scopes, closures, collections");

Scopes("let shadows inside a block; assignment updates the outer variable; first assignment declares", async () => {
  assert.equal(await json("let a = 1;\n let b = 1;\n if true { let a = 2; b = 2; c = 3; }\n [a, b]"), [1, 2]);
  // A name used outside the block that declared it never reaches the runtime: the checker does
  // not resolve it, so the code does not compile to IR.
  assert.throws(() => compileAgentSource(body("if true { c = 3; }\n c")), /`c` was not resolved/);
});

Scopes("closures capture their scope by reference; both lambda forms; functions do not see locals", async () => {
  const extra = "function twice(f: int, v: int) -> int { f(f(v)) }";
  assert.equal(
    await json(
      "let k = 10;\n let add = y => y + k;\n k = 20;\n let mul = |a, b| a * b;\n [add(1), mul(3, 4), [1, 2].map(v => v * k)]",
    ),
    [21, 12, [20, 40]],
  );
  assert.is(await run("twice(v => v + 1, 5)", extra), 7);
  // No dynamic scope: a function's free name does not resolve to the caller's local.
  assert.throws(
    () => compileAgentSource(body("let secret = 1;\n peek()", "function peek() -> int { secret }")),
    /`secret` was not resolved/,
  );
});

Scopes("records, lists and maps are shared and mutable; member, index and compound assignment", async () => {
  const r = await json(
    'let r = {n: 1, tags: []};\n let alias = r;\n alias.n += 41;\n r.tags.push("a");\n let m = {"k": 1};\n m["k"] *= 3;\n m.insert("j", 2);\n let xs = [1, 2, 3];\n xs[0] = 9;\n [r, m, xs, xs.length, len("héllo"), m.keys(), m.get("zz").is_none()]',
  );
  assert.equal(r, [{ n: 42, tags: ["a"] }, { k: 3, j: 2 }, [9, 2, 3], 3, 5, ["k", "j"], true]);
  await rejects(
    run("let xs = [1];\n xs[3]"),
    (e) => e instanceof DslError && /index 3 is out of range/.test(e.message),
    "oob",
  );
  await rejects(run("let r = {a: 1};\n r.b"), (e) => e instanceof DslError && /no field `b`/.test(e.message), "field");
});

Scopes("type literals keep their type name; for iterates lists, map keys and strings", async () => {
  const extra = "type P = { name: String, n: int }";
  const v = await run(
    'let p = P { name: "a", n: 1 };\n let out = [];\n for k in {a: 1, b: 2} { out.push(k); }\n for ch in "hi" { out.push(ch); }\n for p2 in [p] { out.push(p2.name); }\n out',
    extra,
  );
  assert.equal(toJson(v), ["a", "b", "h", "i", "a"]);
  assert.is(display(await run('P { name: "a", n: 1 }', extra)), '{"name": "a", "n": 1}');
});

const Control = suite("control flow");

Control("a trailing if (statement or expression) and a trailing match are the block's value", async () => {
  assert.is(await run('if x > 0 { "pos" } else { "neg" }'), "pos");
  assert.is(await run('let y = if x > 5 { "big" } else if x > 0 { "small" } else { "none" };\n y'), "small");
  assert.is(await run('match "b" { "a" => 1, "b" => { 2 } _ => 3 }'), 2);
  assert.is(await run("match 7 { 1 => 1, other => other * 2 }"), 14);
  assert.is(await run("match 7 { 1 => 1 }"), null);
});

Control("return leaves nested blocks, loops and try bodies, from functions and the with block", async () => {
  const extra = "function first_even(xs: List<int>) -> int { for v in xs { if v % 2 == 0 { return v; } } return -1; }";
  assert.is(await run("for v in [1, 2, 3] { try { if v == 2 { return v * 100; } } catch (e) { } }\n 0"), 200);
  assert.is(await run("first_even([3, 5, 8, 10])", extra), 8);
});

Control("if let and Option / Result values", async () => {
  assert.equal(
    await json(
      'let o = Some(4);\n let r = Err("bad");\n let a = 0;\n if let Some(v) = o { a = v; }\n let b = if r.is_err() { r.unwrap_or(9) } else { 0 };\n let c = 0;\n if let Ok(v) = r { c = 1; } else { c = 2; }\n [a, b, c, Some(1).unwrap(), None.unwrap_or(5), o.is_some(), null.is_none()]',
    ),
    [4, 9, 2, 1, 5, true, true],
  );
  await rejects(
    run("None.unwrap()"),
    (e) => e instanceof DslError && e.kind === "Error" && /unwrap of None/.test(e.message),
    "unwrap none",
  );
});

Control("break and continue (bare names in the grammar) control the nearest for loop", async () => {
  assert.equal(
    await json(
      "let out = [];\n for v in [1, 2, 3, 4, 5] { if v == 2 { continue; } if v == 4 { break; } out.push(v); }\n out",
    ),
    [1, 3],
  );
  await rejects(run("break;\n 1"), (e) => e instanceof DslError && /`break` outside a loop/.test(e.message), "outside");
  const extra = "function stop() -> int { break; 1 }";
  await rejects(
    run("for v in [1] { stop(); }\n 0", extra),
    (e) => e instanceof DslError && /`break` outside a loop/.test(e.message),
    "a caller's loop is not the callee's",
  );
});

Control(
  "Option: a plain value is Some(value); omitted Option parameters are None; falling off an Option function gives None",
  async () => {
    const extra =
      "function pick(a: int, b: Option<int>) -> int { if let Some(v) = b { v } else { a } }\nfunction maybe(x: int) -> Option<int> { if x > 0 { return Some(x); } }";
    assert.equal(
      await json(
        "[pick(1), pick(1, 5), pick(1, Some(6)), maybe(0).is_none(), maybe(3).unwrap(), Some(2) == 2, 7.unwrap_or(0), 7.is_some()]",
        extra,
      ),
      [1, 5, 6, true, 3, true, 7, true],
    );
  },
);

const Errors = suite("try / catch");

Errors("catch (e) sees kind, message and the location in details", async () => {
  const v = toJson(
    await run(
      "try {\n    let z = 0;\n    1 / z;\n  } catch (e) {\n    [e.kind, e.message, e.details.location, e.rule, e.reason]\n  }",
    ),
  );
  assert.equal(v, ["RuntimeError", "division by zero", "agent.symbi:6:5", "", ""]);
});

Errors("typed catches match by kind; Error catches everything; unmatched errors propagate", async () => {
  const extra = "type APIError = Error";
  assert.is(
    await run('try { error("boom"); } catch (ToolError e) { "tool" } catch (Error e) { e.kind + ":" + e.message }'),
    "Error:boom",
  );
  await rejects(
    run('try { error("boom"); } catch (APIError e) { "api" }', extra),
    (e) => e instanceof DslError && e.kind === "Error",
    "alias is its own kind",
  );
  await rejects(
    run('try { error("boom"); } catch (PolicyDenied e) { "no" }'),
    (e) => e instanceof DslError && e.kind === "Error",
    "propagates",
  );
  assert.is(await run('try { vault://api/key } catch (VaultError e) { "no vault" }'), "no vault");
  assert.is(
    await run('try { try { error("in"); } catch (ToolError e) { 1 } } catch (e) { "outer " + e.message }'),
    "outer in",
  );
});

Errors("Result.unwrap of a caught error re-raises it with its kind", async () => {
  assert.is(
    await run(
      'let r = Ok(0);\n try { error("x"); } catch (e) { r = Err(e); }\n try { r.unwrap(); } catch (Error e) { e.kind }',
    ),
    "Error",
  );
});

const Budgets = suite("budgets");

Budgets("deep recursion stops at the recursion limit with a clear error, not a JavaScript stack overflow", async () => {
  const extra = "function down(n: int) -> int { if n == 0 { 0 } else { down(n - 1) + 1 } }";
  await rejects(
    run("down(1000000)", extra),
    (e) => e instanceof FatalError && e.kind === "RecursionLimit" && /nested more than 1000 deep/.test(e.message),
    "limit",
  );
  // Well within a larger limit, deep recursion works: the evaluator keeps the JS stack shallow.
  assert.is(await runAgentSource(body("down(20000)", extra), { x: 1 }, { maxCallDepth: 50_000 }), 20000);
});

Budgets("the step budget stops runaway computation", async () => {
  const extra = "function fib(n: int) -> int { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }";
  await rejects(
    runAgentSource(body("fib(40)", extra), { x: 1 }, { maxSteps: 50_000 }),
    (e) => e instanceof FatalError && e.kind === "StepLimit",
    "steps",
  );
  assert.is(await run("fib(15)", extra), 610);
});

Budgets("the deadline stops a long computation even though it never waits", async () => {
  const extra = "function fib(n: int) -> int { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }";
  await rejects(
    runAgentSource(body("fib(40)", extra), { x: 1 }, { deadline: performance.now() + 50, timeoutText: "50ms" }),
    (e) => e instanceof FatalError && e.kind === "Timeout" && /50ms/.test(e.message),
    "deadline",
  );
});

Budgets("fatal errors are not caught by catch", async () => {
  const extra = "function down(n: int) -> int { down(n + 1) }";
  await rejects(
    run("try { down(0) } catch (e) { 0 }", extra),
    (e) => e instanceof FatalError && e.kind === "RecursionLimit",
    "uncatchable",
  );
});

const Builtins = suite("stdlib builtins");

Builtins("format, to_string, to_json, parse_json, len, upper, split, join, replace, contains_pattern", async () => {
  assert.equal(
    await json(
      '[format("{} of {} {}", 1, "two"), to_string([1, "a"]), to_json({a: [1, 2.5, Some(3), None]}), parse_json("{\\"k\\": [1, 2.5]}").k[1], len([1, 2]), upper("ab"), "a,b".split(","), ["x", 1].join("-"), "aXbX".replace("X", "."), "abc123".contains_pattern("[0-9]+$")]',
    ),
    ["1 of two {}", '[1, "a"]', '{"a":[1,2.5,3,null]}', 2.5, 2, "AB", ["a", "b"], "x-1", "a.b.", true],
  );
});

Builtins("list higher-order methods call back into lambdas; any/all/min/max", async () => {
  assert.equal(
    await json(
      "let xs = [3, 1, 4];\n [xs.filter(v => v > 1), xs.find(v => v > 3), xs.any(v => v == 1), xs.all(v => v > 0), any(xs, v => v > 10), all([], v => false), min(2, 1.5), max(2, 3), xs.first(), [].last(), xs.reverse()]",
    ),
    [[3, 4], 4, true, true, false, true, 1.5, 3, 3, null, [4, 1, 3]],
  );
  await rejects(
    run("[1].filter(v => 1)"),
    (e) => e instanceof DslError && /predicate must return a bool/.test(e.message),
    "pred",
  );
});

Builtins("named arguments bind by the table's parameter names; wrong arity is located", async () => {
  assert.is(await run('upper(text = "ab")'), "AB");
  await rejects(
    run('format("a{}", template = "b")'),
    (e) => e instanceof DslError && /given twice/.test(e.message),
    "twice",
  );
  await rejects(run("upper()"), (e) => e instanceof DslError && /missing argument `text`/.test(e.message), "missing");
  await rejects(run('upper("a", "b")'), (e) => e instanceof DslError && /at most 1 argument/.test(e.message), "extra");
});

Builtins("hashes, hmac, ids, time, durations, log and print go through the host", async () => {
  const host = new PureHost();
  const v = toJson(
    await runAgentSource(
      body(
        'log("INFO", "hello");\n print("a", 1, [2]);\n [hash_sha256("abc"), verify_hmac_sha256("data", "key", "sha256=5031fe3d989c6d1537a013fa6e739da23463fdaec3b70137d828e36ace221bd0"), len(generate_id()), now(), time_since("2025-01-31T11:59:59.000Z"), 90s.millis, 1500ms.seconds]',
      ),
      { x: 1 },
      undefined,
      host,
    ),
  );
  assert.equal(v, [
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    true,
    36,
    "2025-01-31T12:00:00.000Z",
    1000,
    90000,
    1.5,
  ]);
  assert.equal(host.logs, ["INFO: hello", "print: a 1 [2]"]);
});

Builtins("base64 round-trips text and rejects malformed input", async () => {
  assert.equal(await json('[base64_encode("héllo"), base64_decode("aMOpbGxv")]'), ["aMOpbGxv", "héllo"]);
  await rejects(
    run('base64_decode("a*b=")'),
    (e) => e instanceof DslError && e.kind === "Error" && /malformed base64/.test(e.message),
    "malformed",
  );
  await rejects(
    run('base64_decode("/w==")'),
    (e) => e instanceof DslError && /not valid UTF-8/.test(e.message),
    "utf8",
  );
});

for (const s of [Arith, Scopes, Control, Errors, Budgets, Builtins]) s.run();
