import { test } from 'node:test';
import assert from 'node:assert/strict';
import { swapPhone, swapText } from '../../../tracker/src/swapText.js';

const FIND = '4951234567';
const SHOW = '4957654321';

const phoneCases: ReadonlyArray<{ when: string; text: string; expected: string; find?: string; show?: string }> = [
  { when: 'the page writes +7 (495) 123-45-67', text: 'Call +7 (495) 123-45-67 now', expected: 'Call +7 (495) 765-43-21 now' },
  { when: 'the page writes 8 (495) 123-45-67', text: '8 (495) 123-45-67', expected: '8 (495) 765-43-21' },
  { when: 'the page writes 8 495 123 45 67 with no-break spaces', text: '8\u00a0495\u00a0123\u00a045\u00a067', expected: '8\u00a0495\u00a0765\u00a043\u00a021' },
  { when: 'the page writes +7.495.123.45.67', text: '+7.495.123.45.67', expected: '+7.495.765.43.21' },
  { when: 'a tel: link carries +74951234567', text: 'tel:+74951234567', expected: 'tel:+74957654321' },
  { when: 'a tel: link carries 84951234567', text: 'tel:84951234567', expected: 'tel:84957654321' },
  { when: 'the number is written without a prefix', text: '(495) 123-45-67', expected: '(495) 765-43-21' },
  { when: 'two numbers are on one line, one of them the site\'s', text: 'Sales: +7 (495) 123-45-67, service: +7 (495) 111-22-33', expected: 'Sales: +7 (495) 765-43-21, service: +7 (495) 111-22-33' },
  { when: 'another number only ends like the site\'s after a long prefix', text: 'order 98765 4951234567', expected: 'order 98765 4951234567' },
  { when: 'another number differs', text: '+7 (495) 123-45-68', expected: '+7 (495) 123-45-68' },
  { when: 'a price or a date is on the page', text: 'from 12 500 rub, 2026-11-22', expected: 'from 12 500 rub, 2026-11-22' },
  // Lengths differ: the digits stay in order, the extra one joins the first group, a missing one leaves it.
  { when: 'the shown number is one digit longer', text: '+49 (30) 1234-567', find: '301234567', show: '3076543210', expected: '+49 (307) 6543-210' },
  { when: 'the shown number is one digit shorter', text: '+49 (30) 1234-5678', find: '3012345678', show: '301234567', expected: '+49 (3) 0123-4567' },
];

for (const { when, text, expected, find, show } of phoneCases) {
  test(`when ${when}, then the site's number becomes the visit's in the page's own format`, () => {
    assert.equal(swapPhone(text, find ?? FIND, show ?? SHOW), expected);
  });
}

test('when the answer has an address, then it is replaced in text and mailto: links, the phone too', () => {
  const swap = { phone: [FIND, SHOW] as [string, string], email: ['sales@shop.example', 'sales+k7f3qa@shop.example'] as [string, string], ttl: 900 };
  assert.equal(swapText('Write to sales@shop.example or call 8 (495) 123-45-67', swap), 'Write to sales+k7f3qa@shop.example or call 8 (495) 765-43-21');
  assert.equal(swapText('mailto:sales@shop.example?subject=Order', swap), 'mailto:sales+k7f3qa@shop.example?subject=Order');
  assert.equal(swapText('info@shop.example', swap), 'info@shop.example');
});

test('when the answer has neither phone nor address, then the text stays as it is', () => {
  assert.equal(swapText('+7 (495) 123-45-67 sales@shop.example', { ttl: 900 }), '+7 (495) 123-45-67 sales@shop.example');
});
