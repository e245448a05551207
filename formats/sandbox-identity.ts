/**
 * The one identity range tools run in (DESIGN §6–7), shared by the contract reader
 * (compiler/contracts), the sandbox manifest and the drivers.
 */

/**
 * The identities a tool may run as: uid and gid each in 65000–65534. Debian Policy reserves
 * 65000–65533 (never allocated to a package or a person) and 65534 is `nobody`/`nogroup`, so no
 * id in the range owns a file, a socket or a group membership on the host. Everything else is
 * refused — root, ids that wrap to root (4294967295 is -1, which `setresuid` treats as "leave
 * unchanged"), system groups such as `docker` or `shadow`, and people's own uids (1000+), which
 * the process tier would otherwise let a tool act as. Checked by the contract reader (E0522), the
 * manifest schema and again by each driver before it starts anything.
 */
export const SANDBOX_ID_RANGE = Object.freeze({ min: 65000, max: 65534 });

/** Why `user` is not a sandbox identity ("uid:gid", both in SANDBOX_ID_RANGE), or null when it is. */
export function sandboxIdentityProblem(user: string): string | null {
  const name = user.split(":")[0]!.trim();
  if (name === "root" || name === "" || /^0+$/.test(name)) return "tools never run as root";
  const m = /^(\d{1,10}):(\d{1,10})$/.exec(user);
  if (!m) return `must be a numeric "uid:gid" such as "65534:65534"`;
  const range = `${SANDBOX_ID_RANGE.min}-${SANDBOX_ID_RANGE.max}`;
  const [uid, gid] = [Number(m[1]), Number(m[2])];
  if (uid === 0 || gid === 0) return "tools never run as root";
  if (uid < SANDBOX_ID_RANGE.min || uid > SANDBOX_ID_RANGE.max)
    return `uid ${uid} is outside the sandbox range ${range}`;
  if (gid < SANDBOX_ID_RANGE.min || gid > SANDBOX_ID_RANGE.max)
    return `gid ${gid} is outside the sandbox range ${range}`;
  return null;
}

/** Thrown by `sandboxIdentity` when a manifest's user is not a sandbox identity. */
export class SandboxIdentityError extends Error {
  override readonly name = "SandboxIdentityError";
}

/**
 * The numeric uid and gid of a manifest's user, checked again at the moment of use: a driver
 * calls this right before it switches identity, so a manifest that skipped validation (or was
 * edited after it) still cannot make a tool run as root or as a privileged group.
 */
export function sandboxIdentity(user: string): { uid: number; gid: number } {
  const problem = sandboxIdentityProblem(user);
  if (problem !== null) throw new SandboxIdentityError(`sandbox user ${JSON.stringify(user)}: ${problem}`);
  const [uid, gid] = user.split(":").map(Number) as [number, number];
  return { uid, gid };
}
