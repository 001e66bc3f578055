/**
 * What a User-Agent says (bot or not, which device), cached: a site's visitors share a few hundred
 * user agents, and both checks are long regular expressions that would run on every hit.
 */
import { isbot } from 'isbot';
import { deviceOf, type Device } from './device.js';

export interface UserAgentFacts {
  bot: boolean;
  device: Device;
}

export class UserAgentCache {
  private readonly entries = new Map<string, UserAgentFacts>();

  constructor(private readonly maxEntries = 5_000) {}

  facts(userAgent: string | undefined): UserAgentFacts {
    // Real user agents are under 512 characters; a longer header must not grow the cache.
    const key = (userAgent ?? '').slice(0, 512);
    let facts = this.entries.get(key);
    if (!facts) {
      facts = { bot: isbot(key), device: deviceOf(key) };
      // Cheap eviction: start over when full; the working set refills within a few hits.
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, facts);
    }
    return facts;
  }
}
