/**
 * The tier2 seccomp profile (gvisorSeccompProfile): Docker's default with ENOSYS rules as TRACE
 * (gVisor ignores `errnoRet`) and `ptrace` removed, nothing else changed.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { gvisorSeccompProfile, loadSeccompProfile, type SeccompProfile } from "../../runtime/sandbox/index.js";

interface Rule {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  args?: unknown[];
  includes?: object;
  excludes?: object;
}
const profileOf = (syscalls: Rule[]): SeccompProfile => ({
  path: "test.json",
  json: JSON.stringify({ defaultAction: "SCMP_ACT_ERRNO", archMap: [{ architecture: "SCMP_ARCH_X86_64" }], syscalls }),
});
const rulesOf = (p: SeccompProfile) => (JSON.parse(p.json) as { syscalls: Rule[] }).syscalls;

test("tier2 profile: clone3 → ENOSYS becomes TRACE (ENOSYS with no tracer); other denials and allows are kept", () => {
  const original = profileOf([
    { names: ["read", "write"], action: "SCMP_ACT_ALLOW" },
    { names: ["clone"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 2114060288, op: "SCMP_CMP_MASKED_EQ" }] },
    { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38, excludes: { caps: ["CAP_SYS_ADMIN"] } },
    { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 89, includes: { arches: ["mips64"] } },
    { names: ["keyctl"], action: "SCMP_ACT_ERRNO", errnoRet: 1 },
  ]);
  const derived = gvisorSeccompProfile(original);
  const parsed = JSON.parse(derived.json) as { defaultAction: string; archMap: unknown };
  assert.is(parsed.defaultAction, "SCMP_ACT_ERRNO");
  assert.equal(parsed.archMap, [{ architecture: "SCMP_ARCH_X86_64" }]);
  assert.equal(rulesOf(derived), [
    { names: ["read", "write"], action: "SCMP_ACT_ALLOW" },
    { names: ["clone"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 2114060288, op: "SCMP_CMP_MASKED_EQ" }] },
    { names: ["clone3"], action: "SCMP_ACT_TRACE", excludes: { caps: ["CAP_SYS_ADMIN"] } },
    { names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 89, includes: { arches: ["mips64"] } },
    { names: ["keyctl"], action: "SCMP_ACT_ERRNO", errnoRet: 1 },
  ]);
});

test("tier2 profile: nothing may ptrace, so nothing can become the tracer that would let a TRACE rule through", () => {
  const derived = gvisorSeccompProfile(
    profileOf([
      { names: ["getpid", "ptrace"], action: "SCMP_ACT_ALLOW" },
      { names: ["ptrace"], action: "SCMP_ACT_ALLOW", includes: { minKernel: "4.8" } },
      { name: "ptrace", action: "SCMP_ACT_ALLOW" },
      { name: "getppid", action: "SCMP_ACT_ALLOW" },
    ]),
  );
  assert.equal(rulesOf(derived), [
    { names: ["getpid"], action: "SCMP_ACT_ALLOW" },
    { names: ["getppid"], action: "SCMP_ACT_ALLOW" },
  ]);
});

const installed = (() => {
  try {
    return loadSeccompProfile();
  } catch {
    return null;
  }
})();
const itest = installed ? test : test.skip;
if (!installed) console.log("  seccomp profile tests on Docker's own profile skipped: npm run sandbox:image");

itest("tier2 profile from Docker's own: only clone3's action and ptrace differ", () => {
  const before = rulesOf(installed!);
  const after = rulesOf(gvisorSeccompProfile(installed!));
  const allowed = (rules: Rule[]) =>
    new Set(rules.filter((r) => r.action === "SCMP_ACT_ALLOW").flatMap((r) => r.names ?? []));
  const was = allowed(before);
  const now = allowed(after);
  assert.ok(was.has("ptrace"));
  assert.not.ok(now.has("ptrace"));
  assert.equal(
    [...now].filter((n) => !was.has(n)),
    [],
    "the tier2 profile allows nothing new",
  );
  const traced = after.filter((r) => r.action === "SCMP_ACT_TRACE").flatMap((r) => r.names);
  assert.equal(traced, ["clone3"]);
});

test.run();
