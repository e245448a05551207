/**
 * Reads a file's lines synchronously in fixed-size chunks, so a verifier streams logs of any
 * size in constant memory. Each line knows its byte range; the last segment of a file that does
 * not end with "\n" comes back with `complete: false` (a torn line).
 */
import { readSync } from "node:fs";

export interface Line {
  /** 1-based line number counted from where the reader started. */
  number: number;
  text: string;
  /** Byte offset of the line's first byte. */
  start: number;
  /** Byte offset just after the line's "\n" (or the end of file for a torn line). */
  end: number;
  /** False for a final segment without its "\n". */
  complete: boolean;
}

const NEWLINE = 10;

export class LineReader {
  private buf: Buffer;
  /** Valid bytes in `buf` are [bufStart, bufEnd); `bufOffset` is the file offset of buf[0]. */
  private bufStart = 0;
  private bufEnd = 0;
  private bufOffset: number;
  private eof = false;
  private lineNumber: number;
  private peeked: Line | null | undefined = undefined;

  constructor(
    private readonly fd: number,
    startOffset = 0,
    firstLineNumber = 1,
    chunkSize = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(chunkSize);
    this.bufOffset = startOffset;
    this.lineNumber = firstLineNumber;
  }

  /** The next line without consuming it. */
  peek(): Line | null {
    if (this.peeked === undefined) this.peeked = this.read();
    return this.peeked;
  }

  next(): Line | null {
    if (this.peeked !== undefined) {
      const l = this.peeked;
      this.peeked = undefined;
      return l;
    }
    return this.read();
  }

  private read(): Line | null {
    for (;;) {
      const nl = this.buf.indexOf(NEWLINE, this.bufStart);
      if (nl !== -1 && nl < this.bufEnd) {
        const line: Line = {
          number: this.lineNumber++,
          text: this.buf.toString("utf8", this.bufStart, nl),
          start: this.bufOffset + this.bufStart,
          end: this.bufOffset + nl + 1,
          complete: true,
        };
        this.bufStart = nl + 1;
        return line;
      }
      if (this.eof) {
        if (this.bufStart === this.bufEnd) return null;
        const line: Line = {
          number: this.lineNumber++,
          text: this.buf.toString("utf8", this.bufStart, this.bufEnd),
          start: this.bufOffset + this.bufStart,
          end: this.bufOffset + this.bufEnd,
          complete: false,
        };
        this.bufStart = this.bufEnd;
        return line;
      }
      this.fill();
    }
  }

  /** Moves the unread bytes to the front (growing the buffer for a line longer than it) and reads more. */
  private fill(): void {
    const pending = this.bufEnd - this.bufStart;
    if (this.bufStart > 0) {
      this.buf.copy(this.buf, 0, this.bufStart, this.bufEnd);
      this.bufOffset += this.bufStart;
      this.bufStart = 0;
      this.bufEnd = pending;
    }
    if (this.bufEnd === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.bufEnd);
      this.buf = bigger;
    }
    const n = readSync(this.fd, this.buf, this.bufEnd, this.buf.length - this.bufEnd, this.bufOffset + this.bufEnd);
    if (n === 0) this.eof = true;
    this.bufEnd += n;
  }
}
