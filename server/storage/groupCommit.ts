/**
 * Group commit: many concurrent callers share one transaction. While a commit is in flight, new
 * items wait; when it ends, all of them go in the next one. At low load an item commits at once
 * (no timer, no added latency); under load, transactions grow instead of queueing up.
 */
export class GroupCommitter<Item> {
  private pending: Array<{ item: Item; resolve: () => void; reject: (error: unknown) => void }> = [];
  private flushing = false;

  constructor(
    private readonly commit: (items: Item[]) => Promise<void>,
    private readonly maxBatch = 1_000,
    /** Called with the size of every batch committed (metrics). */
    private readonly onBatch: (size: number) => void = () => undefined,
  ) {}

  /** Resolves once the item is committed; rejects when its batch failed. */
  submit(item: Item): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      // One turn of the event loop first: requests already received get parsed and join this batch
      // (an in-process database like PGlite would otherwise commit before they are even read).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        await this.commit(batch.map((entry) => entry.item));
        this.onBatch(batch.length);
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.flushing = false;
  }
}
