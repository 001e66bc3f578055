import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leadPartsOfFields } from '../../../server/leads/formFields.js';

test('when a captured form has typed and named fields, then the phone, e-mail, name and comment are told apart, type first', () => {
  const parts = leadPartsOfFields([
    ['text', 'your_name', 'Анна'],
    ['tel', 'contact', '+7 900 123-45-67'],
    ['email', 'login', 'Anna@Example.com '],
    ['textarea', 'q', 'Перезвоните'],
    ['text', 'phone2', '+7 900 000-00-00'],
  ]);
  assert.deepEqual(parts, { name: 'Анна', phone: '+7 900 123-45-67', email: 'Anna@Example.com', comment: 'Перезвоните' });
});

test('when fields are named in Russian or the type says nothing, then the name decides; empty values and unknown fields are left out', () => {
  assert.deepEqual(
    leadPartsOfFields([
      ['text', 'Телефон', '8 900 555 01 01'],
      ['text', 'Ваше имя', 'Пётр'],
      ['text', 'почта', 'p@example.com'],
      ['text', 'Комментарий', 'срочно'],
      ['text', 'city', 'Казань'],
      ['text', 'name', '   '],
    ]),
    { phone: '8 900 555 01 01', name: 'Пётр', email: 'p@example.com', comment: 'срочно' },
  );
  assert.deepEqual(leadPartsOfFields([['search', 'q', 'sofa']]), {});
});
