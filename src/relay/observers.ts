/**
 * Body observers sit between the upstream body and the client. They see every chunk once and
 * decide what reaches the client: normally the chunk itself, untouched and at once.
 */
import { createParser, type EventSourceParser } from "eventsource-parser";
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
 * SSE, bytes untouched: each chunk goes to the client first, then its lines are read from that
 * same buffer (no decoded copy of the chunk; only a data or event value becomes a string). A line
 * split across chunks is held as bytes until it ends, so split multi-byte characters survive.
 * Parses as eventsource-parser does (LF, CRLF or CR line ends, a leading BOM, comments, multi-line
 * data; an event without its closing blank line is never dispatched), except that a CR ending the
 * last chunk ends its line at once (that parser waits for an LF that may follow, forever if the
 * stream ends there).
 */
export class SseTap implements BodyObserver {
  /** The start of a line that has not ended yet (copied: it must not pin a whole socket read). */
  private pending: Buffer[] = [];
  private first = true;
  /** The last chunk ended in CR: an LF opening the next one ends the same line. */
  private skipLf = false;
  private data = "";
  private dataLines = 0;
  private eventType: string | undefined = undefined;
  private id: string | undefined = undefined;

  constructor(private readonly reader: UsageReader) {}

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
      if (n - i < 3 && !hasCr && buf.indexOf(LF, i) === -1) {
        this.pending.push(Buffer.from(buf.subarray(i)));
        return;
      }
      this.first = false;
      if (buf[i] === 0xef && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf) i += 3;
    }
    while (i < n) {
      let end = buf.indexOf(LF, i);
      if (hasCr) {
        const cr = buf.indexOf(CR, i);
        if (cr !== -1 && (end === -1 || cr < end)) end = cr;
      }
      if (end === -1) break;
      this.line(buf, i, end);
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
      this.line(rest, 0, rest.length);
    }
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (start === end) {
      if (this.dataLines > 0) void this.reader.onEvent({ id: this.id, event: this.eventType, data: this.data });
      this.id = undefined;
      this.eventType = undefined;
      this.data = "";
      this.dataLines = 0;
      return;
    }
    if (buf[start] === COLON) return; // a comment
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
  }
}

const FRAME_END = /\r\n\r\n|\n\n|\r\r/g;

/**
 * SSE where some frames must be withheld whole: bytes are held until their frame is complete,
 * the frame is parsed, and forwarded unless the reader asked to drop it. Re-encoding decoded
 * valid UTF-8 gives back the same bytes.
 */
export class SseFrameFilter implements BodyObserver {
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();
  private readonly parser: EventSourceParser;
  private pending = "";
  private withhold = false;

  constructor(reader: UsageReader) {
    this.parser = createParser({
      onEvent: (event) => {
        if (reader.onEvent(event)) this.withhold = true;
      },
    });
  }

  push(chunk: Uint8Array, emit: Emit): void {
    this.pending += this.decoder.decode(chunk, { stream: true });
    FRAME_END.lastIndex = 0;
    let start = 0;
    let match: RegExpExecArray | null;
    while ((match = FRAME_END.exec(this.pending)) !== null) {
      const end = match.index + match[0].length;
      this.forwardFrame(this.pending.slice(start, end), emit);
      start = end;
    }
    if (start > 0) this.pending = this.pending.slice(start);
  }

  end(emit: Emit): void {
    this.pending += this.decoder.decode();
    if (this.pending) this.forwardFrame(this.pending, emit);
    this.pending = "";
    this.parser.reset({ consume: true });
  }

  private forwardFrame(frame: string, emit: Emit): void {
    this.withhold = false;
    this.parser.feed(frame);
    if (!this.withhold) emit(this.encoder.encode(frame));
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
