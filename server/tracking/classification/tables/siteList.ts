/** A hand-maintained group of host patterns (same syntax as hostIndex.ts) under one short name. */
export interface SiteList {
  /** The stored source name: short and lower-case. */
  readonly name: string;
  readonly hosts: readonly string[];
}
