/**
 * The launcher of a warm container: a POSIX `sh` loop, started once as the container's process
 * (under `timeout -s KILL <its life>`), that receives each call over its attached standard input
 * and runs it as a child — so a call costs a fork and an exec inside the container instead of a
 * `docker exec` (create, start, attach, inspect: containerd, the shim and a new `runc exec` each
 * time, the floor of the warm call's latency).
 *
 * A call is one frame of lines: a header `call <nonce> <argc> <envc>`, the working directory,
 * `envc` lines `NAME=value`, then `argc` lines of argv. Each value is one line with `\` written
 * `\\` and a newline `\n` (decoded with printf's `%b`, the only escapes the encoder makes); no
 * value is ever evaluated as shell code: the loop reads them with `read -r` into variables and
 * passes them as "$@". The child runs `env -i [HOSTNAME] <env> <argv>` (argv starts with the
 * `timeout -s KILL` wrapper), stdin from /dev/null, its stdout and stderr the launcher's own. When
 * it has exited, the launcher writes `\nsymbi-end-<nonce> <status>\n` on stdout and
 * `\nsymbi-end-<nonce>\n` on stderr; the runtime takes everything before those as the call's
 * output. The nonce is 128 random bits per call, so a tool cannot end its own output early by
 * printing a marker.
 *
 * Only what needs nothing more than this goes through the launcher: a call with no standard input,
 * as the container's own user, whose environment names are plain identifiers. Anything else —
 * and an image without `sh` or `env` — uses `docker exec` (docker-driver.ts). Why this confines
 * a call exactly as an exec does is in README.md ("Warm containers: the launcher").
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import type { CappedOutput } from "./capped-output.js";

/** The launcher, given to `sh -c` with `symbi-launcher` as $0. Constant: no call data in it. */
export const LAUNCHER_SCRIPT = `set -f
for p in env timeout; do
  command -v "$p" >/dev/null 2>&1 || { echo "symbi-launcher: missing $p" >&2; exit 127; }
done
echo "symbi-launcher ready"
while IFS= read -r h; do
  set -- $h
  [ "$#" -eq 4 ] && [ "$1" = call ] || { echo "symbi-launcher: bad frame" >&2; exit 2; }
  id=$2 c=$3 e=$4
  case "$id" in *[!0-9a-f]*|"") echo "symbi-launcher: bad frame" >&2; exit 2;; esac
  case "$c:$e" in *[!0-9:]*|0?*|*:0?*) echo "symbi-launcher: bad frame" >&2; exit 2;; esac
  IFS= read -r w || exit 2
  case "$w" in *\\\\*) w=$(printf '%b.' "$w"); w=\${w%.};; esac
  set --
  n=$((c + e))
  while [ "$n" -gt 0 ]; do
    IFS= read -r v || exit 2
    case "$v" in *\\\\*) v=$(printf '%b.' "$v"); v=\${v%.};; esac
    set -- "$@" "$v"
    n=$((n - 1))
  done
  (cd "$w" || exit 126; exec env -i \${HOSTNAME:+"HOSTNAME=$HOSTNAME"} "$@") </dev/null
  s=$?
  printf '\\nsymbi-end-%s %s\\n' "$id" "$s"
  printf '\\nsymbi-end-%s\\n' "$id" >&2
done
`;

/** How long the `timeout` wrapper of a call may outlive it (busybox's watcher polls once a second). */
export const WRAPPER_LINGER_MS = 1100;

/** What the launcher prints on stdout once it has checked for `env` and `timeout`. */
const READY_LINE = "symbi-launcher ready\n";

/** Environment names the launcher passes to `env -i` (anything else could read as an option). */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface LauncherCall {
  /** The full argv, starting with the `timeout -s KILL <s>` wrapper. */
  argv: string[];
  /** `NAME=value` entries, the call's whole environment (HOSTNAME aside). */
  env: string[];
  workdir: string;
}

/** Whether a call can go through the launcher at all (else: `docker exec`). */
export function launcherCanRun(call: LauncherCall): boolean {
  const plain = (s: string) => !s.includes("\0");
  return (
    call.workdir.startsWith("/") &&
    plain(call.workdir) &&
    call.argv.every(plain) &&
    call.env.every((e) => plain(e) && e.includes("=") && PLAIN_NAME.test(e.slice(0, e.indexOf("="))))
  );
}

/** One value as one line: `\` → `\\`, newline → `\n`. */
export function encodeLine(value: string): string {
  if (value.includes("\0")) throw new TypeError("a launcher value cannot hold a NUL byte");
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** The frame of one call, with the nonce its end markers will carry. */
export function encodeCall(call: LauncherCall, nonce: string): Buffer {
  const lines = [
    `call ${nonce} ${call.argv.length} ${call.env.length}`,
    encodeLine(call.workdir),
    ...call.env.map(encodeLine),
    ...call.argv.map(encodeLine),
  ];
  return Buffer.from(lines.join("\n") + "\n", "utf8");
}

/**
 * One output stream of the launcher (stdout or stderr) during a call: bytes go to the call's
 * output until the end marker; what arrives between calls (the ready line, output of processes
 * an earlier call left running, after its end) is dropped.
 */
class MarkedStream {
  private target: CappedOutput | null = null;
  private marker: Buffer | null = null;
  private held = Buffer.alloc(0);
  private onEnd: ((rest: string) => void) | null = null;

  expect(target: CappedOutput, nonce: string, onEnd: (rest: string) => void): void {
    this.target = target;
    this.marker = Buffer.from(`\nsymbi-end-${nonce}`);
    this.held = Buffer.alloc(0);
    this.onEnd = onEnd;
  }

  push(chunk: Buffer): void {
    if (!this.target || !this.marker) return;
    const buf = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    const at = buf.indexOf(this.marker);
    if (at < 0) {
      // Keep what could be the start of a marker split across chunks.
      const keep = Math.min(buf.length, this.marker.length + 8);
      this.target.push(buf.subarray(0, buf.length - keep));
      this.held = Buffer.from(buf.subarray(buf.length - keep));
      return;
    }
    const after = buf.subarray(at + this.marker.length);
    const newline = after.indexOf(0x0a);
    if (newline < 0) {
      // The marker's tail (` <status>\n`) has not arrived yet.
      if (at > 0) this.target.push(buf.subarray(0, at));
      this.held = Buffer.from(buf.subarray(at));
      return;
    }
    this.target.push(buf.subarray(0, at));
    const rest = after.subarray(0, newline).toString("latin1");
    const done = this.onEnd!;
    this.target = null;
    this.marker = null;
    this.held = Buffer.alloc(0);
    this.onEnd = null;
    done(rest);
  }
}

/** How a call through the launcher ended. */
export type LauncherOutcome =
  | { ended: true; status: number }
  /** The launcher's stream ended first: the container died (or was removed) under the call. */
  | { ended: false };

/**
 * The runtime's side of one launcher: the hijacked attach stream of its container. Calls run one
 * at a time (`busy`); a caller that finds it busy uses `docker exec` instead.
 */
export class LauncherChannel {
  private readonly out = new MarkedStream();
  private readonly err = new MarkedStream();
  private readonly stream: NodeJS.ReadWriteStream;
  private closed = false;
  private readonly closers = new Set<() => void>();
  /** Resolves when the launcher has said it is ready; rejects with its stderr if it ended first. */
  readonly ready: Promise<void>;
  busy = false;
  /** When recent calls ended (performance.now()), for `pace`. */
  private readonly recentEnds: number[] = [];
  private readonly lingerBudget: number;

  /**
   * `lingerBudget`: how many calls may have ended within the last WRAPPER_LINGER_MS before the
   * next one waits (see `pace`).
   */
  constructor(
    stream: NodeJS.ReadWriteStream,
    demux: (stream: NodeJS.ReadableStream, stdout: Writable, stderr: Writable) => void,
    lingerBudget = Infinity,
  ) {
    this.stream = stream;
    this.lingerBudget = Math.max(1, lingerBudget);
    let early = "";
    let readyDone = false;
    let resolveReady!: () => void;
    let rejectReady!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    this.ready.catch(() => undefined);
    const stdout = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (!readyDone) {
          early += chunk.toString("latin1");
          if (early.includes(READY_LINE)) {
            readyDone = true;
            resolveReady();
          } else if (early.length > 4096) {
            readyDone = true;
            rejectReady(new Error(`unexpected output before the launcher's ready line: ${early.slice(0, 200)}`));
          }
        } else this.out.push(chunk);
        cb();
      },
    });
    let earlyErr = "";
    const stderr = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        if (!readyDone) earlyErr = (earlyErr + chunk.toString("latin1")).slice(0, 2000);
        else this.err.push(chunk);
        cb();
      },
    });
    demux(stream, stdout, stderr);
    const close = () => {
      if (this.closed) return;
      this.closed = true;
      if (!readyDone) {
        readyDone = true;
        rejectReady(new Error(earlyErr.trim() || "the launcher ended before it was ready"));
      }
      for (const c of this.closers) c();
      this.closers.clear();
    };
    stream.once("end", close);
    stream.once("close", close);
    stream.on("error", close);
  }

  /**
   * Waits, if need be, until fewer than `lingerBudget` calls ended within the last
   * WRAPPER_LINGER_MS. Busybox's `timeout` leaves its watcher process behind the call for up to a
   * second (it polls its program once a second), and those watchers count against the pids
   * limit; `docker exec` is slow enough that few pile up, the launcher is not. Without this, a
   * fast loop of calls fails with "fork: Resource temporarily unavailable".
   */
  async pace(now = performance.now()): Promise<void> {
    while (this.recentEnds.length > 0 && now - this.recentEnds[0]! >= WRAPPER_LINGER_MS) this.recentEnds.shift();
    if (this.recentEnds.length < this.lingerBudget) return;
    const wait = WRAPPER_LINGER_MS - (now - this.recentEnds[0]!);
    await new Promise((resolve) => setTimeout(resolve, wait));
    return this.pace();
  }

  /** Whether the launcher's stream has ended (the container is gone or going). */
  get ended(): boolean {
    return this.closed;
  }

  /**
   * Sends one call; resolves when both its end markers have arrived (the exit status) or when
   * the stream ended first. The caller has checked `launcherCanRun` and set `busy`.
   */
  run(call: LauncherCall, stdout: CappedOutput, stderr: CappedOutput): Promise<LauncherOutcome> {
    const nonce = randomBytes(16).toString("hex");
    return new Promise<LauncherOutcome>((resolve) => {
      if (this.closed) return resolve({ ended: false });
      let status: number | null = null;
      let errDone = false;
      const finish = () => {
        if (status !== null && errDone) {
          this.recentEnds.push(performance.now());
          this.closers.delete(onClose);
          resolve({ ended: true, status });
        }
      };
      const onClose = () => resolve({ ended: false });
      this.closers.add(onClose);
      this.out.expect(stdout, nonce, (rest) => {
        const m = /^ (\d{1,3})$/.exec(rest);
        const n = m ? Number(m[1]) : NaN;
        if (!(n >= 0 && n <= 255)) {
          // Not the launcher's own words: treat the launcher as broken.
          this.closers.delete(onClose);
          this.destroy();
          return resolve({ ended: false });
        }
        status = n;
        finish();
      });
      this.err.expect(stderr, nonce, () => {
        errDone = true;
        finish();
      });
      this.stream.write(encodeCall(call, nonce));
    });
  }

  /** Closes the launcher's standard input (it then exits) and the connection. */
  destroy(): void {
    const s = this.stream as NodeJS.ReadWriteStream & { destroy?: () => void };
    s.end();
    s.destroy?.();
  }
}
