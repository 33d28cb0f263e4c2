/**
 * The web body of a relayed response (route handlers): chunks in order, one at a time (the
 * upstream waits for the client's next read), a filter that withholds whole chunks never stalls
 * it, and exactly one outcome however it ends.
 */
import { PassThrough } from "node:stream";
import { setImmediate as tick } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { passThrough, type BodyObserver } from "~/relay/observers";
import { relayBody, type BodyOutcome } from "~/relay/relay-stream";

function setup(observer: BodyObserver = passThrough) {
  const upstream = new PassThrough();
  const outcomes: BodyOutcome[] = [];
  let firstBytes = 0;
  let aborted = 0;
  const relayed = relayBody(upstream, observer, {
    onFirstByte: () => firstBytes++,
    onEnd: (o) => outcomes.push(o),
    abortUpstream: () => aborted++,
  });
  return { upstream, relayed, outcomes, firstBytes: () => firstBytes, aborted: () => aborted };
}

const text = (chunk: Uint8Array | undefined): string => Buffer.from(chunk ?? new Uint8Array()).toString("utf8");

describe("relayBody web body", () => {
  it("passes chunks in order and reports completion once", async () => {
    const { upstream, relayed, outcomes, firstBytes } = setup();
    const reader = relayed.body.getReader();
    upstream.write("a");
    expect(text((await reader.read()).value)).toBe("a");
    upstream.write("b");
    expect(text((await reader.read()).value)).toBe("b");
    upstream.end();
    expect((await reader.read()).done).toBe(true);
    expect(outcomes).toEqual([{ kind: "complete" }]);
    expect(firstBytes()).toBe(1);
  });

  it("holds the upstream until the client reads again (nothing queues)", async () => {
    const { upstream, relayed } = setup();
    const reader = relayed.body.getReader();
    const first = reader.read();
    upstream.write("1");
    expect(text((await first).value)).toBe("1");
    upstream.write("2");
    upstream.write("3");
    await tick();
    // Paused after the chunk that reached the read: the rest waits in the upstream, not here.
    expect(upstream.isPaused()).toBe(true);
    expect(text((await reader.read()).value)).toBe("2");
    expect(text((await reader.read()).value)).toBe("3");
  });

  it("keeps reading past chunks a filter withholds whole", async () => {
    const dropOdd: BodyObserver = {
      push: (chunk, emit) => {
        if (text(chunk) !== "drop") emit(chunk);
      },
      end: (emit) => emit(Buffer.from("tail")),
    };
    const { upstream, relayed, outcomes } = setup(dropOdd);
    const reader = relayed.body.getReader();
    const read = reader.read();
    upstream.write("drop");
    await tick();
    upstream.write("keep");
    expect(text((await read).value)).toBe("keep");
    upstream.end("drop");
    expect(text((await reader.read()).value)).toBe("tail");
    expect((await reader.read()).done).toBe(true);
    expect(outcomes).toEqual([{ kind: "complete" }]);
  });

  it("a cancel by the client stops the upstream and reports client_abort", async () => {
    const { upstream, relayed, outcomes, aborted } = setup();
    const reader = relayed.body.getReader();
    upstream.write("x");
    await reader.read();
    await reader.cancel();
    expect(outcomes).toEqual([{ kind: "client_abort" }]);
    expect(aborted()).toBe(1);
    expect(upstream.destroyed).toBe(true);
  });

  it("an upstream failure mid-body errors the client body and reports upstream_error", async () => {
    const { upstream, relayed, outcomes } = setup();
    const reader = relayed.body.getReader();
    upstream.write("x");
    await reader.read();
    const failed = reader.read();
    upstream.destroy(new Error("boom"));
    await expect(failed).rejects.toThrow("boom");
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.kind).toBe("upstream_error");
  });

  it("terminate (shutdown) fails the client body with the given error", async () => {
    const { upstream, relayed, outcomes } = setup();
    const reader = relayed.body.getReader();
    upstream.write("x");
    await reader.read();
    const pending = reader.read();
    relayed.terminate(new Error("shutting down"));
    await expect(pending).rejects.toThrow("shutting down");
    expect(outcomes).toEqual([{ kind: "shutdown" }]);
    expect(upstream.destroyed).toBe(true);
  });
});
