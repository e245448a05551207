/**
 * The egress gateway's token: a Secret file shared by the runtime container and the gateway
 * (never mounted into the tools container), presented as proxy credentials on every tunnel.
 */
import { readFileSync, statSync } from "node:fs";
import { ExitCode } from "../../formats/exit-codes.js";

export class EgressTokenError extends Error {
  override readonly name = "EgressTokenError";
  readonly exitCode = ExitCode.Error;
}

/** Reads a token file: one line of 16 to 4096 visible ASCII characters. */
export function readEgressToken(path: string): string {
  let text: string;
  try {
    if (statSync(path).size > 8192) throw new EgressTokenError(`egress token file ${path} is too large`);
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (e instanceof EgressTokenError) throw e;
    throw new EgressTokenError(`cannot read the egress token file ${path}: ${(e as Error).message}`);
  }
  const token = text.replace(/\r?\n$/, "");
  if (!/^[\x21-\x7e]{16,4096}$/.test(token))
    throw new EgressTokenError(
      `egress token file ${path} must hold one line of 16 to 4096 visible ASCII characters (e.g. openssl rand -hex 32)`,
    );
  return token;
}
