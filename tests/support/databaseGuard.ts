/**
 * Tests create and drop databases and wipe Redis keys. This guard makes sure they only ever touch
 * things named for tests, whatever a developer's environment points at.
 */

export class UnsafeTestTargetError extends Error {
  constructor(what: string) {
    super(`Refusing to drop or truncate ${what}: its name does not contain "test"`);
    this.name = 'UnsafeTestTargetError';
  }
}

export function assertTestDatabaseName(databaseName: string): void {
  if (!/test/i.test(databaseName)) throw new UnsafeTestTargetError(`database ${JSON.stringify(databaseName)}`);
}

export function assertTestRedisPrefix(prefix: string): void {
  if (!/test/i.test(prefix)) throw new UnsafeTestTargetError(`Redis keys with prefix ${JSON.stringify(prefix)}`);
}
