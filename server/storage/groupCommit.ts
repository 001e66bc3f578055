/**
 * Group commit: many concurrent callers share one transaction. Items wait while the commits in
 * flight run; each commit that starts takes everything waiting. At low load an item commits at once
 * (no timer, no added latency); under load, transactions grow instead of queueing up. A few commits
 * may run at once (`maxInFlight`), so one waiting on the disk does not hold back the next.
 */
export interface GroupCommitOptions {
  /** Items in one transaction at most. */
  maxBatch?: number;
  /** Transactions running at once at most (PostgreSQL flushes their WAL together). */
  maxInFlight?: number;
  /** Called with the size of every batch committed (metrics). */
  onBatch?: (size: number) => void;
  /** Items waiting at most; past it `submit` fails at once (the database is not keeping up). */
  maxPending?: number;
  /**
   * Milliseconds a commit waits for more items before it starts (default 0: one turn of the event
   * loop). For an in-process database, whose work runs on the event loop itself: nothing arrives
   * while it commits, so without a pause every item of a burst would get a commit of its own.
   */
  lingerMs?: number;
}

export class GroupCommitOverloadedError extends Error {
  constructor(readonly pending: number) {
    super(`${pending} items are already waiting for the database`);
    this.name = 'GroupCommitOverloadedError';
  }
}

export class GroupCommitter<Item> {
  private pending: Array<{ item: Item; resolve: () => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly onBatch: (size: number) => void;
  private readonly maxPending: number;
  private readonly lingerMs: number;

  constructor(
    private readonly commit: (items: Item[]) => Promise<void>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1_000;
    this.maxInFlight = options.maxInFlight ?? 1;
    this.onBatch = options.onBatch ?? (() => undefined);
    this.maxPending = options.maxPending ?? 20_000;
    this.lingerMs = options.lingerMs ?? 0;
  }

  /** Resolves once the item is committed; rejects when it could not be. */
  submit(item: Item): Promise<void> {
    if (this.pending.length >= this.maxPending) return Promise.reject(new GroupCommitOverloadedError(this.pending.length));
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.inFlight < this.maxInFlight) void this.flush();
    });
  }

  /**
   * Commits a batch; when it fails, commits its items one by one, so that one item the database
   * refuses fails alone instead of taking every other caller's item down with it.
   */
  private async commitBatch(batch: GroupCommitter<Item>['pending']): Promise<void> {
    try {
      await this.commit(batch.map((entry) => entry.item));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const entry of batch) await this.commitBatch([entry]);
      return;
    }
    for (const entry of batch) entry.resolve();
    this.onBatch(batch.length);
  }

  private async flush(): Promise<void> {
    this.inFlight++;
    try {
      while (this.pending.length > 0) {
        // One turn of the event loop first: requests already received get parsed and join this batch
        // (an in-process database like PGlite would otherwise commit before they are even read).
        if (this.lingerMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, this.lingerMs));
        else await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = this.pending.splice(0, this.maxBatch);
        if (batch.length === 0) break;
        await this.commitBatch(batch);
      }
    } finally {
      this.inFlight--;
    }
  }
}
