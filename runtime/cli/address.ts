/** `HOST:PORT` on a command line (`--listen`, `--tool-host`, `--egress-gateway`). */
import { UserError } from "../../formats/exit-codes.js";

export interface HostPort {
  host: string;
  port: number;
}

/** "HOST:PORT" (an IPv6 host in brackets) → address; a UserError naming the option otherwise. */
export function parseHostPort(option: string, text: string): HostPort {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) throw new UserError(`${option}: "${text}" is not HOST:PORT`);
  return { host: m[1] ?? m[2]!, port };
}
