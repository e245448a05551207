/**
 * The house style (docs/style.md), one rule at a time: each case is an input and the exact
 * expected output, and the expected output is itself a fixed point of the formatter.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fmt } from "./helpers.js";

/** Strips the common indentation of a template literal and its first/last empty lines. */
function code(s: string): string {
  const lines = s
    .replace(/^\n/, "")
    .replace(/\n[ ]*$/, "")
    .split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join("\n") + "\n";
}

async function check(input: string, expected: string): Promise<void> {
  assert.fixture(await fmt(input), expected);
  assert.fixture(await fmt(expected), expected, "the expected output is formatted");
}

test("metadata: one entry per line, separators kept, every entry ends with a comma", async () => {
  await check(
    `metadata{ version:"1.0",author = "Symbi" tags: ["a","b"] }`,
    code(`
    metadata {
        version: "1.0",
        author = "Symbi",
        tags: ["a", "b"],
    }
  `),
  );
});

test("empty declaration bodies open a line (the reference's style); statement blocks print {}", async () => {
  await check(
    `metadata {}\nagent a {}\nagent b { with sandbox = "x" {} }\nfunction f() { if x {} }`,
    code(`
    metadata {
    }

    agent a {
    }

    agent b {
        with sandbox = "x" {
        }
    }

    function f() {
        if x {}
    }
  `),
  );
});

test("top-level items and agent members are separated by one blank line", async () => {
  await check(
    `agent Greeter {\ncapabilities :  [hello,wave  ]\nwith sandbox = "docker" , timeout = "30.seconds"  {\n}\n}\nmetadata { a = 1 }`,
    code(`
    agent Greeter {
        capabilities: [hello, wave]

        with sandbox = "docker", timeout = "30.seconds" {
        }
    }

    metadata {
        a = 1,
    }
  `),
  );
});

test("blank lines between statements, rules and entries: at most one kept, none added", async () => {
  await check(
    `function f() {\n  a();\n\n\n\n  b();\n  c();\n\n}\npolicy p { allow: a\n\n\n deny: b deny: c }`,
    code(`
    function f() {
        a();

        b();
        c();
    }

    policy p {
        allow: a

        deny: b
        deny: c
    }
  `),
  );
});

test("with: attributes on the header line when they fit, else one per line with { on its own line", async () => {
  await check(
    `agent a { with sandbox = "Tier2", timeout = 30s, max_memory_mb = 512, max_cpu_cores = 1.0, network_policy = "deny_all" { run(); } }`,
    code(`
    agent a {
        with
            sandbox = "Tier2",
            timeout = 30s,
            max_memory_mb = 512,
            max_cpu_cores = 1.0,
            network_policy = "deny_all"
        {
            run();
        }
    }
  `),
  );
});

test("with: attributes written one per line stay so, even when they would fit", async () => {
  const expanded = code(`
    agent a {
        with
            sandbox = "Tier1",
            timeout = 30s
        {
            run();
        }
    }
  `);
  await check(expanded, expanded);
});

test("policy rules: one per line; a long guard moves to its own line, then breaks after its operators", async () => {
  await check(
    `policy guard { allow: read(file) if file.owner == user.id && file.classification != "secret" && session.mfa_verified == true && user.active allow: ["read_data", "validate_schema", "quality_check"] if data.source.trusted == true && data.records.length <= 100 }`,
    code(`
    policy guard {
        allow: read(file)
            if file.owner == user.id &&
                file.classification != "secret" &&
                session.mfa_verified == true &&
                user.active
        allow: ["read_data", "validate_schema", "quality_check"]
            if data.source.trusted == true && data.records.length <= 100
    }
  `),
  );
});

test("policy rules: a parenthesised guard opens its ( on the rule's line", async () => {
  await check(
    `policy p { deny: ["a", "b"] if (user.clearance >= "secret" && user.need_to_know.contains(resource) && session.mfa_verified == true) }`,
    code(`
    policy p {
        deny: ["a", "b"] if (
            user.clearance >= "secret" &&
            user.need_to_know.contains(resource) &&
            session.mfa_verified == true
        )
    }
  `),
  );
});

test("policy rules: a guard written on its own line stays there; require … for … and settings", async () => {
  await check(
    `policy p {\n allow: "use_llm"\n  if tasks.contains("x")\n require: supervisor_approval for high_memory_operations\n require: [user.ok, audit_trail = "detailed"]\n}`,
    code(`
    policy p {
        allow: "use_llm"
            if tasks.contains("x")
        require: supervisor_approval for high_memory_operations
        require: [user.ok, audit_trail = "detailed"]
    }
  `),
  );
});

test("calls: arguments one per line when too long; a trailing record is hugged", async () => {
  await check(
    `function g() { let result = some_function_name(first_argument_value, second_argument_value, third_argument_value); send(target, { name: "value", other: "another value", third: "a third value", fourth: "and a fourth" }); log("INFO", format("Code review APPROVED: {} ({} lint issues, {} security findings)", language, issues, findings)); }`,
    code(`
    function g() {
        let result = some_function_name(
            first_argument_value,
            second_argument_value,
            third_argument_value
        );
        send(target, {
            name: "value",
            other: "another value",
            third: "a third value",
            fourth: "and a fourth"
        });
        log("INFO", format(
            "Code review APPROVED: {} ({} lint issues, {} security findings)",
            language,
            issues,
            findings
        ));
    }
  `),
  );
});

test("records: inline when they fit; a record written expanded stays expanded; no trailing comma", async () => {
  await check(
    `function g() { let a = { x: 1, "y": 2, }; let b = {\n x: 1 }; let c = T { x: 1 }; }`,
    code(`
    function g() {
        let a = { x: 1, "y": 2 };
        let b = {
            x: 1
        };
        let c = T { x: 1 };
    }
  `),
  );
});

test("arrays: inline when they fit, else one element per line; two or more records always expand", async () => {
  await check(
    `function g() { let rows = [{ a: 1 }, { a: 2 },]; let list = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda"]; }`,
    code(`
    function g() {
        let rows = [
            { a: 1 },
            { a: 2 }
        ];
        let list = [
            "alpha",
            "beta",
            "gamma",
            "delta",
            "epsilon",
            "zeta",
            "eta",
            "theta",
            "iota",
            "kappa",
            "lambda"
        ];
    }
  `),
  );
});

test("binary operators break after the operator; the chain's continuation is indented", async () => {
  await check(
    `function g() { let total = first_value_in_the_sum + second_value_in_the_sum + third_value_in_the_sum + fourth_value; }`,
    code(`
    function g() {
        let total = first_value_in_the_sum +
            second_value_in_the_sum +
            third_value_in_the_sum +
            fourth_value;
    }
  `),
  );
});

test("statements: every kind, if/match without ;, an if expression statement keeps its ;", async () => {
  await check(
    `function f(a: int, b: List<Map<String, int>>,) -> Result<String, Error> { let r = compute(a, b) ; if r.ok { return r.value; } else if r.retry { return; } else { log("x") ; } match r.kind { "a" => 1, "b" => { log("b"); } _ => 0 } for x in items { total += x; } try { risky(); } catch (NetError e) { retry(); } catch (e) { fail(e); } if let Some(v) = lookup(key) { use(v); } if a { 1 } else { 2 }; if done { 1 } else { 2 } }`,
    code(`
    function f(a: int, b: List<Map<String, int>>) -> Result<String, Error> {
        let r = compute(a, b);
        if r.ok {
            return r.value;
        } else if r.retry {
            return;
        } else {
            log("x");
        }
        match r.kind {
            "a" => 1,
            "b" => {
                log("b");
            },
            _ => 0,
        }
        for x in items {
            total += x;
        }
        try {
            risky();
        } catch (NetError e) {
            retry();
        } catch (e) {
            fail(e);
        }
        if let Some(v) = lookup(key) {
            use(v);
        }
        if a {
            1
        } else {
            2
        };
        if done {
            1
        } else {
            2
        }
    }
  `),
  );
});

test("tokens print as written: strings, numbers, durations, user parentheses, separators", async () => {
  await check(
    `function f() { let s = "a\\"b\\\\c\\q"; let n = 1_000.5 + 007; let d = [30s, 1.5h, 100ms, 2.hours, 6months]; x = (a + b) * ((c)); f(limit: 1, window = "15m"); }`,
    code(`
    function f() {
        let s = "a\\"b\\\\c\\q";
        let n = 1_000.5 + 007;
        let d = [30s, 1.5h, 100ms, 2.hours, 6months];
        x = (a + b) * ((c));
        f(limit: 1, window = "15m");
    }
  `),
  );
});

test("spaces that change tokens are kept: 30 .seconds, vault://a/b .len, not x, - -x", async () => {
  await check(
    `function f() { let t = 30 .seconds; let h = 1.5 .hours; let v = vault://a/b .len; let w = vault://api/keys[source.key]; let m = 1.x; x = - -a * -(b + c) - not d; y = !!e; }`,
    code(`
    function f() {
        let t = 30 .seconds;
        let h = 1.5 .hours;
        let v = vault://a/b .len;
        let w = vault://api/keys[source.key];
        let m = 1.x;
        x = --a * -(b + c) - not d;
        y = !!e;
    }
  `),
  );
});

test("lambdas and closures; contextual keywords as identifiers", async () => {
  await check(
    `agent agent { function type(match: int) { let type = items.map(x => x * 2).filter(|a, b| a > b); let f = || now(); a.if = { type: 1, if: 2 }; } }`,
    code(`
    agent agent {
        function type(match: int) {
            let type = items.map(x => x * 2).filter(|a, b| a > b);
            let f = || now();
            a.if = { type: 1, if: 2 };
        }
    }
  `),
  );
});

test("types, schedules, channels, data classification", async () => {
  await check(
    `type Point = { x: int y: int, } type Name = String schedule nightly { cron: "0 2 * * *" agent = reporter } channel c { platform: "slack" policy g { allow: invoke("x") } data_classification { pii: redact phi: block } }`,
    code(`
    type Point = {
        x: int,
        y: int,
    }

    type Name = String

    schedule nightly {
        cron: "0 2 * * *",
        agent = reporter,
    }

    channel c {
        platform: "slack",
        policy g {
            allow: invoke("x")
        }
        data_classification {
            pii: redact,
            phi: block,
        }
    }
  `),
  );
});

test("memory and webhook blocks: juxtaposed values aligned, no commas", async () => {
  await check(
    `memory m { store markdown, retention 90d path "data" search { vector_weight 0.7, keyword_weight 0.3 } } webhook w { provider github filter { json_path "$.a" equals "x" } }`,
    code(`
    memory m {
        store     markdown
        retention 90d
        path      "data"
        search {
            vector_weight  0.7
            keyword_weight 0.3
        }
    }

    webhook w {
        provider github
        filter {
            json_path "$.a"
            equals    "x"
        }
    }
  `),
  );
});

test("comments: own-line comments stay on their own line, end-of-line comments after the separator", async () => {
  await check(
    `// file\n\n\nmetadata { a = 1 // one\n// before b\nb = 2 }\nagent a {\n  with sandbox = "Tier1" // why\n  {\n    let r = { x: 1, // x\n y: 2 };\n    return r;   // done\n    // last\n  }\n}\n# end`,
    code(`
    // file

    metadata {
        a = 1, // one
        // before b
        b = 2,
    }

    agent a {
        with
            sandbox = "Tier1" // why
        {
            let r = {
                x: 1, // x
                y: 2
            };
            return r; // done
            // last
        }
    }
    # end
  `),
  );
});

test("comments: in empty bodies, before else and catch, between a header and its {", async () => {
  await check(
    `policy p { // nothing yet\n}\nfunction f() // header\n{ if a { b(); } // then\n else { c(); }\n try { d(); }\n // before catch\n catch (e) { e(); }\n g( // no args\n ); }`,
    code(`
    policy p {
        // nothing yet
    }

    function f() // header
    {
        if a {
            b();
        } // then
        else {
            c();
        }
        try {
            d();
        }
        // before catch
        catch (e) {
            e();
        }
        g(
            // no args
        );
    }
  `),
  );
});

test("comments in expressions end their line without moving past code", async () => {
  await check(
    `function f() { let x = a && // why a\n b; let y = obj // the object\n .field; }`,
    code(`
    function f() {
        let x = a && // why a
            b;
        let y = obj // the object
        .field;
    }
  `),
  );
});

test("comments after a name or keyword: the line ends there and the rest follows on the next line", async () => {
  await check(
    `agent a {\n  with // c\n  { run(); }\n}\nfunction f() {\n  try // t\n  { x(); } catch (e) {}\n  for x // c\n  in y { }\n  let z // z\n  = 1;\n  match q { "a" // a\n => 1 }\n}\n`,
    code(`
    agent a {
        with // c
        {
            run();
        }
    }

    function f() {
        try // t
        {
            x();
        } catch (e) {}
        for x // c
        in y {}
        let z // z
        = 1;
        match q {
            "a" // a
            => 1,
        }
    }
  `),
  );
});

test.run();
