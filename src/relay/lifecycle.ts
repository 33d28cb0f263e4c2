/**
 * Graceful shutdown of a relay process. Every billed request holds a ticket from the moment it
 * arrives until its record has been handed to the ledger and settled (in Redis or in the local
 * journal). drain(): refuse new requests (529 overloaded, `connection: close`, so clients and
 * load balancers retry elsewhere), let open requests finish until the timeout, then cut the rest
 * (each is recorded with what was seen so far, estimated where the upstream did not say), and
 * wait until every ticket is returned.
 */

export interface RequestTicket {
  /** What to do when the drain timeout cuts this request. */
  onShutdown(cut: () => void): void;
  /** The request's record has settled (or it will never be recorded). Idempotent. */
  end(): void;
}

export interface DrainReport {
  /** Requests open when the drain began. */
  open: number;
  /** Requests still open at the timeout, cut and recorded. */
  cut: number;
  /** Tickets still out when the drain gave up waiting (should be 0). */
  stuck: number;
}

/** The error a cut request's body fails with (the client sees its connection end). */
export class RelayShutdownError extends Error {
  constructor() {
    super("relay shutting down");
  }
}

interface OpenRequest {
  cut: (() => void) | null;
}

export class RelayLifecycle {
  private readonly open = new Set<OpenRequest>();
  private readonly waiters = new Set<() => void>();
  draining = false;

  get openRequests(): number {
    return this.open.size;
  }

  begin(): RequestTicket {
    const entry: OpenRequest = { cut: null };
    this.open.add(entry);
    let ended = false;
    return {
      onShutdown: (cut) => {
        entry.cut = cut;
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.open.delete(entry);
        if (this.open.size === 0) for (const w of this.waiters) w();
      },
    };
  }

  private whenEmpty(timeoutMs: number): Promise<boolean> {
    if (this.open.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (empty: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(onEmpty);
        resolve(empty);
      };
      const onEmpty = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(onEmpty);
    });
  }

  /**
   * Stops taking requests, waits up to `timeoutMs` for the open ones, cuts the rest, then waits
   * (up to `settleMs`) for their records to settle.
   */
  async drain(timeoutMs: number, settleMs = 30_000): Promise<DrainReport> {
    this.draining = true;
    const open = this.open.size;
    let cut = 0;
    if (!(await this.whenEmpty(timeoutMs))) {
      for (const entry of this.open) {
        if (entry.cut) {
          cut++;
          entry.cut();
        }
      }
      await this.whenEmpty(settleMs);
    }
    return { open, cut, stuck: this.open.size };
  }
}

const GLOBAL_KEY = Symbol.for("metergate.relay.lifecycle");
const globalStore = globalThis as unknown as { [GLOBAL_KEY]?: RelayLifecycle };

/**
 * The process-wide lifecycle. On globalThis because Next bundles instrumentation and the route
 * handlers into separate chunks, each with its own copy of this module.
 */
export function processLifecycle(): RelayLifecycle {
  return (globalStore[GLOBAL_KEY] ??= new RelayLifecycle());
}
