/** Simulated people: names, phones, e-mails and browsers, from the seeded generator. */
import type { Browser } from './longfunnelClient.js';
import type { Random } from './random.js';

const firstNames = ['Алексей', 'Мария', 'Дмитрий', 'Елена', 'Сергей', 'Ольга', 'Андрей', 'Наталья', 'Иван', 'Татьяна', 'Павел', 'Екатерина', 'Михаил', 'Анна', 'Никита', 'Юлия'];
const lastNames = ['Иванов', 'Смирнов', 'Кузнецов', 'Попов', 'Васильев', 'Петров', 'Соколов', 'Михайлов', 'Новиков', 'Фёдоров', 'Морозов', 'Волков'];
const userAgents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 YaBrowser/24.10.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
];
const screens = ['1920x1080', '1536x864', '390x844', '412x915', '1440x900'];

export interface Person {
  name: string;
  phone: string;
  email?: string;
}

export function newPerson(random: Random): Person {
  const first = random.pick(firstNames);
  const feminine = /[ая]$/.test(first);
  const last = `${random.pick(lastNames)}${feminine ? 'а' : ''}`;
  const phone = `+7 9${random.int(10, 99)} ${random.int(100, 999)}-${random.int(10, 99)}-${random.int(10, 99)}`;
  const person: Person = { name: `${first} ${last}`, phone };
  if (random.chance(0.5)) person.email = `${random.id(8).toLowerCase()}@example.com`;
  return person;
}

export function newBrowser(random: Random): Browser & { screen: string } {
  return { userAgent: random.pick(userAgents), ip: `10.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`, screen: random.pick(screens) };
}
