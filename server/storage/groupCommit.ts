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
}

export class GroupCommitter<Item> {
  private pending: Array<{ item: Item; resolve: () => void; reject: (error: unknown) => void }> = [];
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private readonly onBatch: (size: number) => void;

  constructor(
    private readonly commit: (items: Item[]) => Promise<void>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1_000;
    this.maxInFlight = options.maxInFlight ?? 1;
    this.onBatch = options.onBatch ?? (() => undefined);
  }

  /** Resolves once the item is committed; rejects when its batch failed. */
  submit(item: Item): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.inFlight < this.maxInFlight) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight++;
    try {
      while (this.pending.length > 0) {
        // One turn of the event loop first: requests already received get parsed and join this batch
        // (an in-process database like PGlite would otherwise commit before they are even read).
        await new Promise<void>((resolve) => setImmediate(resolve));
        const batch = this.pending.splice(0, this.maxBatch);
        if (batch.length === 0) break;
        try {
          await this.commit(batch.map((entry) => entry.item));
          this.onBatch(batch.length);
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.inFlight--;
    }
  }
}
