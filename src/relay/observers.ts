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

/**
 * SSE, bytes untouched: each chunk goes to the client first, then a streaming decoder (so split
 * multi-byte characters survive) feeds the event parser on the side.
 */
export class SseTap implements BodyObserver {
  private readonly decoder = new TextDecoder();
  private readonly parser: EventSourceParser;

  constructor(reader: UsageReader) {
    this.parser = createParser({ onEvent: (event) => void reader.onEvent(event) });
  }

  push(chunk: Uint8Array, emit: Emit): void {
    emit(chunk);
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
  }

  end(): void {
    const rest = this.decoder.decode();
    if (rest) this.parser.feed(rest);
    this.parser.reset({ consume: true });
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
