/**
 * Body observers sit between the upstream body and the client. They see every chunk once and
 * decide what reaches the client: normally the chunk itself, untouched and at once.
 */
import type { UsageReader } from "./usage";

export type Emit = (chunk: Uint8Array) => void;

export interface BodyObserver {
  push(chunk: Uint8Array, emit: Emit): void;
  /** The upstream body ended (or died): flush what is buffered. */
  end(emit: Emit): void;
}

/** Forwards bytes; nothing to learn (count_tokens, models). */
export const passThrough: BodyObserver = {
  push: (chunk, emit) => emit(chunk),
  end: () => {},
};

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Whether buf[start, start + name.length) is `name` followed by a colon (an SSE field name). */
function isField(buf: Buffer, start: number, end: number, name: string): boolean {
  const n = name.length;
  if (end - start <= n || buf[start + n] !== COLON) return false;
  for (let i = 0; i < n; i++) if (buf[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * The SSE field state of one stream, fed one line at a time (as bytes, without its line end), as
 * eventsource-parser reads it: data lines joined, event and id kept, all reset by a blank line.
 */
class SseLineParser {
  private data = "";
  private dataLines = 0;
  private eventType: string | undefined = undefined;
  private id: string | undefined = undefined;

  constructor(private readonly reader: UsageReader) {}

  /** Reads one line; true when it was a blank line dispatching an event the reader wants withheld. */
  line(buf: Buffer, start: number, end: number): boolean {
    if (start === end) {
      const withhold = this.dataLines > 0 && this.reader.onEvent({ id: this.id, event: this.eventType, data: this.data });
      this.forget();
      return withhold;
    }
    if (buf[start] === COLON) return false; // a comment
    const value = (nameLength: number): string => {
      const from = start + nameLength + 1;
      return buf.toString("utf8", buf[from] === SPACE ? from + 1 : from, end);
    };
    if (isField(buf, start, end, "data")) {
      const v = value(4);
      this.data = this.dataLines === 0 ? v : `${this.data}\n${v}`;
      this.dataLines++;
    } else if (isField(buf, start, end, "event")) {
      this.eventType = value(5) || undefined;
    } else if (isField(buf, start, end, "id")) {
      const v = value(2);
      if (!v.includes("\0")) this.id = v;
    } else if (end - start <= 5) {
      // A field name alone (no colon): its value is empty.
      const name = buf.toString("latin1", start, end);
      if (name === "data") {
        this.data = this.dataLines === 0 ? "" : `${this.data}\n`;
        this.dataLines++;
      } else if (name === "event") this.eventType = undefined;
      else if (name === "id") this.id = "";
    }
    // Other fields (retry, unknown ones) change nothing the readers use.
    return false;
  }

  /** Drops the fields of an event not dispatched yet (its lines will be read again). */
  forget(): void {
    this.id = undefined;
    this.eventType = undefined;
    this.data = "";
    this.dataLines = 0;
  }
}

/** Where the line starting at i ends (its LF or CR), or -1; a CR ending the bytes counts only when `final`. */
function lineEnd(buf: Buffer, i: number, hasCr: boolean, final: boolean): number {
  let end = buf.indexOf(LF, i);
  if (hasCr) {
    const cr = buf.indexOf(CR, i);
    if (cr !== -1 && (end === -1 || cr < end)) end = cr;
  }
  if (end !== -1 && !final && buf[end] === CR && end === buf.length - 1) return -1;
  return end;
}

/** Where the next line starts after a line ending at `end`. */
function nextLine(buf: Buffer, end: number): number {
  return buf[end] === CR && buf[end + 1] === LF ? end + 2 : end + 1;
}

/** How many bytes of a UTF-8 BOM open the stream (0 or 3), or -1 while too few bytes have come to tell. */
function bomLength(buf: Buffer, i: number): number {
  if (buf.length - i < 3) {
    for (let k = 0; i + k < buf.length; k++) if (buf[i + k] !== [0xef, 0xbb, 0xbf][k]) return 0;
    return -1;
  }
  return buf[i] === 0xef && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf ? 3 : 0;
}

/**
 * SSE, bytes untouched: each chunk goes to the client first, then its lines are read from that
 * same buffer (no decoded copy of the chunk; only a data, event or id value becomes a string). A
 * line split across chunks is held as bytes until it ends, so split multi-byte characters
 * survive. Reads as eventsource-parser does (LF, CRLF or CR line ends, a leading BOM, comments,
 * multi-line data; an event without its closing blank line is never dispatched), except that a
 * CR ending the stream ends its line (that parser waits for an LF that may follow, forever).
 */
export class SseTap implements BodyObserver {
  /** The start of a line that has not ended yet (copied: it must not pin a whole socket read). */
  private pending: Buffer[] = [];
  private first = true;
  /** The last chunk ended in CR: an LF opening the next one ends the same line. */
  private skipLf = false;
  private readonly lines: SseLineParser;

  constructor(reader: UsageReader) {
    this.lines = new SseLineParser(reader);
  }

  push(chunk: Uint8Array, emit: Emit): void {
    emit(chunk);
    let buf = asBuffer(chunk);
    let i = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (buf[0] === LF) i = 1;
    }
    const hasCr = buf.indexOf(CR, i) !== -1;
    if (this.pending.length > 0) {
      if (!hasCr && buf.indexOf(LF, i) === -1) {
        this.pending.push(Buffer.from(buf.subarray(i)));
        return;
      }
      this.pending.push(buf.subarray(i));
      buf = Buffer.concat(this.pending);
      this.pending = [];
      i = 0;
    }
    const n = buf.length;
    if (this.first) {
      // A BOM opening the stream is dropped (as TextDecoder did), even one split across chunks.
      const bom = bomLength(buf, i);
      if (bom < 0) {
        this.pending.push(Buffer.from(buf.subarray(i)));
        return;
      }
      this.first = false;
      i += bom;
    }
    for (let end = lineEnd(buf, i, hasCr, true); end !== -1; end = lineEnd(buf, i, hasCr, true)) {
      this.lines.line(buf, i, end);
      i = end + 1;
      if (buf[end] === CR) {
        if (i === n) this.skipLf = true;
        else if (buf[i] === LF) i++;
      }
    }
    if (i < n) this.pending.push(Buffer.from(buf.subarray(i)));
  }

  end(): void {
    // The last line without its line end is still read (not dispatched without a blank line).
    if (this.pending.length > 0) {
      const rest = Buffer.concat(this.pending);
      this.pending = [];
      this.lines.line(rest, 0, rest.length);
    }
  }
}

/**
 * SSE where some frames must be withheld whole: the bytes of a frame (up to and including its
 * blank line) are held until it is complete, its lines are read from those bytes, and that same
 * slice is forwarded unless the reader asked to drop it (no decoding and re-encoding).
 */
export class SseFrameFilter implements BodyObserver {
  /** The bytes of the frame not complete yet (copied); its lines are read again when it is. */
  private pending: Buffer | null = null;
  private first = true;
  /** Bytes of a BOM opening the stream, not read as SSE (forwarded with the first frame). */
  private skip = 0;
  private readonly lines: SseLineParser;

  constructor(reader: UsageReader) {
    this.lines = new SseLineParser(reader);
  }

  push(chunk: Uint8Array, emit: Emit): void {
    const buf = this.pending ? Buffer.concat([this.pending, asBuffer(chunk)]) : asBuffer(chunk);
    this.pending = null;
    if (this.first) {
      const bom = bomLength(buf, 0);
      if (bom < 0) {
        this.pending = Buffer.from(buf);
        return;
      }
      this.first = false;
      this.skip = bom;
    }
    const rest = this.frames(buf, emit, false);
    if (rest < buf.length) this.pending = Buffer.from(buf.subarray(rest));
  }

  end(emit: Emit): void {
    const buf = this.pending;
    this.pending = null;
    if (!buf) return;
    const rest = this.frames(buf, emit, true);
    // The last frame without its blank line: forwarded (it dispatches nothing, so nothing withholds it).
    if (rest < buf.length) emit(buf.subarray(rest));
  }

  /** Reads and forwards (or drops) every complete frame in buf; returns where the incomplete rest starts. */
  private frames(buf: Buffer, emit: Emit, final: boolean): number {
    const hasCr = buf.indexOf(CR) !== -1;
    let frameStart = 0;
    let withhold = false;
    let i = this.skip;
    for (let end = lineEnd(buf, i, hasCr, final); end !== -1; end = lineEnd(buf, i, hasCr, final)) {
      const blank = i === end;
      if (this.lines.line(buf, i, end)) withhold = true;
      i = nextLine(buf, end);
      if (blank) {
        if (!withhold) emit(buf.subarray(frameStart, i));
        withhold = false;
        frameStart = i;
        this.skip = 0;
      }
    }
    // The incomplete frame's lines are read again, whole, once it is complete.
    this.lines.forget();
    return frameStart;
  }
}

/** Non-streaming JSON: forwarded as it arrives, a copy kept (up to a limit) to read usage at the end. */
export class JsonTap implements BodyObserver {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private overflow = false;

  constructor(
    private readonly onBody: (body: unknown) => void,
    private readonly limitBytes: number,
  ) {}

  push(chunk: Uint8Array, emit: Emit): void {
    emit(chunk);
    if (this.overflow) return;
    this.size += chunk.byteLength;
    if (this.size > this.limitBytes) {
      this.overflow = true;
      this.chunks.length = 0;
    } else {
      this.chunks.push(chunk);
    }
  }

  end(): void {
    if (this.overflow || this.size === 0) return;
    try {
      this.onBody(JSON.parse(Buffer.concat(this.chunks).toString("utf8")));
    } catch {
      // Not JSON: nothing to read; the caller estimates.
    }
  }
}
