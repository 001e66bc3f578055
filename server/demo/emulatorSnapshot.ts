/**
 * The emulated CRMs keep their records in memory; the demo saves them into its data directory (v8
 * serialisation of the emulator's state object: maps, sets, arrays and plain records) so that a
 * restarted demo resumes with the same accounts, deals and tokens LongFunnel holds.
 */
import fs from 'node:fs';
import v8 from 'node:v8';

export function snapshotOf(state: object): Buffer {
  return v8.serialize(Object.fromEntries(Object.entries(state)));
}

/** Puts a snapshot back into a fresh emulator's state object, in place (the emulator holds references to it). */
export function restoreInto(state: object, snapshot: Buffer): void {
  const saved = v8.deserialize(snapshot) as Record<string, unknown>;
  const live = state as Record<string, unknown>;
  for (const [key, value] of Object.entries(saved)) {
    const current = live[key];
    if (current instanceof Map && value instanceof Map) {
      current.clear();
      for (const [entryKey, entryValue] of value) current.set(entryKey, entryValue);
    } else if (current instanceof Set && value instanceof Set) {
      current.clear();
      for (const item of value) current.add(item);
    } else if (Array.isArray(current) && Array.isArray(value)) {
      current.length = 0;
      for (const item of value) current.push(item);
    } else if (current !== null && typeof current === 'object' && value !== null && typeof value === 'object') {
      Object.assign(current, value);
    } else {
      live[key] = value;
    }
  }
}

/** Writes a file so that a crash mid-write leaves the previous version. */
export function writeAtomically(file: string, data: Buffer | string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
}
