/**
 * Collects a stream's bytes up to a cap. Bytes past the cap are counted and dropped (the stream
 * is still drained, so the tool is never blocked on a full pipe and cannot exhaust our memory).
 */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Total bytes seen, kept or not. */
  total = 0;

  constructor(readonly maxBytes: number) {}

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    this.total += buf.length;
    const room = this.maxBytes - this.kept;
    if (room <= 0) return;
    const part = buf.length <= room ? buf : buf.subarray(0, room);
    this.chunks.push(part);
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}
