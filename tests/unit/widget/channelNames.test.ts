import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHANNEL_GROUPS } from '../../../server/tracking/classification/channelGroups.js';
import { NO_SOURCE } from '../../../server/reports/dealCredits.js';
import { channelLabel, RUSSIAN_CHANNEL_NAMES } from '../../../widget/shared/channelNames.js';

test('when the classifier can name a channel group, then it has a Russian name, and no Russian name is left over', () => {
  for (const group of CHANNEL_GROUPS) assert.ok(RUSSIAN_CHANNEL_NAMES[group], `no Russian name for ${group}`);
  const known = new Set<string>([...CHANNEL_GROUPS, NO_SOURCE]);
  assert.deepEqual(Object.keys(RUSSIAN_CHANNEL_NAMES).filter((name) => !known.has(name)), []);
});

test('when a channel is labelled, then Russian uses the table, English and unknown names stay as they are', () => {
  assert.equal(channelLabel('Paid Search', 'ru'), 'Платный поиск');
  assert.equal(channelLabel(NO_SOURCE, 'ru'), 'Без источника');
  assert.equal(channelLabel('Paid Search', 'en'), 'Paid Search');
  assert.equal(channelLabel('Some new group', 'ru'), 'Some new group');
});
