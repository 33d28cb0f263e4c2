/**
 * Pipes the upstream body (undici's node stream) to the client through an observer, so a slow
 * client slows the upstream read (backpressure) and nothing is buffered beyond a chunk. Reports
 * exactly one outcome: the body ended, the client went away, or the upstream failed mid-body.
 *
 * Two ways out of one core: `body`, a pull-driven web ReadableStream (route handlers), and
 * `pipeToNode(res)`, which writes the upstream's chunks straight to a node ServerResponse (the
 * relay tier: no web streams at all, src/relay/node-server.ts). Whichever starts first owns the
 * upstream; the other is never read.
 */
import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { BodyObserver } from "./observers";

export type BodyOutcome =
  | { kind: "complete" }
  | { kind: "client_abort" }
  | { kind: "upstream_error"; error: unknown }
  /** The relay cut the body itself (shutdown past its drain timeout). */
  | { kind: "shutdown" };

export interface RelayBodyHooks {
  onFirstByte(): void;
  onEnd(outcome: BodyOutcome): void;
  /** Stops the upstream request (client went away). */
  abortUpstream(): void;
}

export interface RelayedBody {
  body: ReadableStream<Uint8Array>;
  /** Writes the body to a node response and ends it (or destroys it when the upstream fails). */
  pipeToNode(res: ServerResponse): void;
  /** The client went away (request signal aborted): stop the upstream and report it. */
  clientGone(): void;
  /** The relay is shutting down: stop the upstream, fail the client body with `error`, report it. */
  terminate(error: Error): void;
}

export function relayBody(upstream: Readable, observer: BodyObserver, hooks: RelayBodyHooks): RelayedBody {
  let ended = false;
  let sentFirstByte = false;
  // The upstream fails with an AbortError once the relay aborts it; whoever reads reports it.
  upstream.on("error", () => {});

  const end = (outcome: BodyOutcome): void => {
    if (ended) return;
    ended = true;
    hooks.onEnd(outcome);
  };
  const firstByte = (): void => {
    if (!sentFirstByte) {
      sentFirstByte = true;
      hooks.onFirstByte();
    }
  };

  /** How the current reader fails its client when the relay cuts the body. */
  let failClient: (error: Error) => void = () => {};

  const clientGone = (): void => {
    if (ended) return;
    end({ kind: "client_abort" });
    hooks.abortUpstream();
    upstream.destroy();
  };

  const terminate = (error: Error): void => {
    if (ended) return;
    end({ kind: "shutdown" });
    hooks.abortUpstream();
    upstream.destroy();
    failClient(error);
  };

  /**
   * Reads the upstream into one client sink, the only place both ways out decide the outcome: each
   * chunk goes through the observer, then `afterChunk` applies the sink's backpressure (`wrote`:
   * something of that chunk reached the client); the end flushes the observer and closes the sink;
   * a failure flushes what it can and fails the sink.
   */
  const pump = (sink: { write(chunk: Uint8Array): void; afterChunk(wrote: boolean): void; close(): void; fail(error: unknown): void }): void => {
    let wrote = false;
    const emit = (chunk: Uint8Array): void => {
      if (chunk.byteLength === 0) return;
      firstByte();
      sink.write(chunk);
      wrote = true;
    };
    upstream.on("data", (chunk: Buffer) => {
      if (ended) return;
      wrote = false;
      observer.push(chunk, emit);
      sink.afterChunk(wrote);
    });
    upstream.once("end", () => {
      if (ended) return;
      observer.end(emit);
      end({ kind: "complete" });
      sink.close();
    });
    upstream.once("error", (error: unknown) => {
      if (ended) return;
      try {
        observer.end(emit);
      } catch {
        // the observer's flush must not mask the upstream failure
      }
      end({ kind: "upstream_error", error });
      sink.fail(error);
    });
  };

  /**
   * Made on first use: the relay tier never asks for it (it pipes to its socket). Push-driven: the
   * upstream flows while a read is waiting and is paused once a chunk reached it (high-water mark
   * 0, so nothing queues here). An idle open stream then holds only a paused node stream and its
   * listeners, not a suspended async pull and an async iterator with their promises (which
   * AsyncLocalStorage tags, under Next) per open stream.
   */
  const webBody = (): ReadableStream<Uint8Array> =>
    new ReadableStream<Uint8Array>(
      {
        start(controller) {
          failClient = (error) => {
            try {
              controller.error(error);
            } catch {
              // already closed
            }
          };
          upstream.pause();
          pump({
            write: (chunk) => controller.enqueue(chunk),
            // Hold the upstream until the client reads again (pull); a chunk a filter withheld
            // whole reached nobody, so the read still waits and the upstream keeps flowing.
            afterChunk: (wrote) => {
              if (wrote && (controller.desiredSize ?? 0) <= 0) upstream.pause();
            },
            close: () => controller.close(),
            fail: (error) => controller.error(error),
          });
        },
        pull() {
          upstream.resume();
        },
        cancel: clientGone,
      },
      { highWaterMark: 0 },
    );

  const pipeToNode = (res: ServerResponse): void => {
    failClient = () => res.destroy();
    const resume = (): void => void upstream.resume();
    pump({
      write: (chunk) => void res.write(chunk),
      // Backpressure: hold the upstream until the client's socket has taken what it has.
      afterChunk: () => {
        if (res.writableNeedDrain) {
          upstream.pause();
          res.once("drain", resume);
        }
      },
      close: () => res.end(),
      // Cut the connection so the client sees an incomplete response.
      fail: () => res.destroy(),
    });
  };

  let body: ReadableStream<Uint8Array> | null = null;
  return {
    get body() {
      return (body ??= webBody());
    },
    pipeToNode,
    clientGone,
    terminate,
  };
}

/** A relayed body the relay tier pipes itself, with the headers to write before it. */
export interface PipedAnswer {
  relayed: RelayedBody;
  headers: Record<string, string>;
}

const pipedAnswers = new WeakMap<Response, PipedAnswer>();

/**
 * A Response for a relayed body. For route handlers it carries the body as a web stream. For the
 * relay tier (`pipedToSocket`: its requests say so) it is only a handle: no web body and no web
 * Headers; the node server takes both from pipedAnswerOf and pipes the upstream to its socket.
 */
export function relayedResponse(relayed: RelayedBody, init: { status: number; headers: Record<string, string> }, pipedToSocket = false): Response {
  if (!pipedToSocket) return new Response(relayed.body, init);
  const response = new Response(null, { status: init.status });
  pipedAnswers.set(response, { relayed, headers: init.headers });
  return response;
}

/** The relayed body (and headers) behind a relay tier's Response; null for any other Response. */
export function pipedAnswerOf(response: Response): PipedAnswer | null {
  return pipedAnswers.get(response) ?? null;
}
