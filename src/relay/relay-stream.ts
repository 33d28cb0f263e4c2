/**
 * Pipes the upstream body to the client through an observer, pull-driven so a slow client slows
 * the upstream read (backpressure) and nothing is buffered beyond one chunk. Reports exactly one
 * outcome: the body ended, the client went away, or the upstream failed mid-body.
 */
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
  /** The client went away (request signal aborted): stop the upstream and report it. */
  clientGone(): void;
  /** The relay is shutting down: stop the upstream, fail the client body with `error`, report it. */
  terminate(error: Error): void;
}

export function relayBody(upstream: ReadableStream<Uint8Array>, observer: BodyObserver, hooks: RelayBodyHooks): RelayedBody {
  const reader = upstream.getReader();
  let ended = false;
  let sentFirstByte = false;

  const end = (outcome: BodyOutcome): void => {
    if (ended) return;
    ended = true;
    hooks.onEnd(outcome);
  };

  const clientGone = (): void => {
    if (ended) return;
    end({ kind: "client_abort" });
    hooks.abortUpstream();
    reader.cancel().catch(() => {});
  };

  let controllerRef: ReadableStreamDefaultController<Uint8Array> | null = null;
  const terminate = (error: Error): void => {
    if (ended) return;
    end({ kind: "shutdown" });
    hooks.abortUpstream();
    reader.cancel().catch(() => {});
    try {
      controllerRef?.error(error);
    } catch {
      // already closed
    }
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controllerRef = controller;
      },
      async pull(controller) {
        let emitted = false;
        const emit = (chunk: Uint8Array): void => {
          if (chunk.byteLength === 0) return;
          if (!sentFirstByte) {
            sentFirstByte = true;
            hooks.onFirstByte();
          }
          controller.enqueue(chunk);
          emitted = true;
        };
        try {
          // Loop until something reached the client: a filter may withhold a whole chunk.
          while (!emitted) {
            const { done, value } = await reader.read();
            if (ended) return;
            if (done) {
              observer.end(emit);
              end({ kind: "complete" });
              controller.close();
              return;
            }
            observer.push(value, emit);
          }
        } catch (error) {
          if (ended) return;
          try {
            observer.end(emit);
          } catch {
            // the observer's flush must not mask the upstream failure
          }
          end({ kind: "upstream_error", error });
          controller.error(error);
        }
      },
      cancel: clientGone,
    },
    { highWaterMark: 0 },
  );
  return { body, clientGone, terminate };
}
