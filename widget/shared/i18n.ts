/** The panel's texts, Russian and English. */
import type { MatchMethod, PanelLocale, ViewAttributionModel } from './dealView.js';
import { RUSSIAN_CHANNEL_NAMES } from './channelNames.js';

export interface Texts {
  title: string;
  loading: string;
  firstTouch: string;
  lastNonDirect: string;
  credited: (model: string) => string;
  markovFallback: string;
  matched: string;
  matchMethods: Record<MatchMethod, string>;
  sure: (percent: number) => string;
  noVisitData: string;
  touches: (before: number, after: number) => string;
  funnel: string;
  stage: string;
  inStage: (duration: string) => string;
  stagesPassed: string;
  created: string;
  attribution: string;
  timeline: string;
  afterLead: string;
  landing: string;
  pages: (count: number) => string;
  goals: string;
  term: string;
  duration: string;
  older: (count: number) => string;
  kinds: Record<'visit' | 'form' | 'call' | 'email', string>;
  models: Record<ViewAttributionModel, string>;
  channels: Record<string, string>;
  outcomes: Record<'open' | 'won' | 'lost', string>;
  reauth: string;
  disabled: string;
  errorTitle: string;
  sessionExpired: string;
  notFound: string;
  unreachable: string;
  serverError: string;
  notConfigured: string;
  retry: string;
  days: (n: number) => string;
  hours: (n: number) => string;
  minutes: (n: number) => string;
  seconds: (n: number) => string;
}

function ruPlural(n: number, one: string, few: string, many: string): string {
  const mod10 = n % 10;
  const mod100 = n % 100;
  if (mod10 === 1 && mod100 !== 11) return one;
  if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return few;
  return many;
}

const en: Texts = {
  title: 'Where this client came from',
  loading: 'Loading visit history…',
  firstTouch: 'First touch',
  lastNonDirect: 'Last non-direct',
  credited: (model) => `Credited (${model})`,
  markovFallback: 'The data-driven model is computed in reports; the card credits by last non-direct.',
  matched: 'Matched by',
  matchMethods: { visitor_id: 'visitor id from the form', form: 'the site form (LongFunnel)', call: 'call to a tracking number', phone: 'phone number', email: 'e-mail', none: 'not matched' },
  sure: (percent) => `${percent}% sure`,
  noVisitData: 'No visit data',
  touches: (before, after) => `${before} ${before === 1 ? 'visit' : 'visits'} before the lead, ${after} after`,
  funnel: 'Funnel',
  stage: 'Stage',
  inStage: (duration) => `${duration} in this stage`,
  stagesPassed: 'Stages passed',
  created: 'Deal created',
  attribution: 'Credit per visit',
  timeline: 'Visits and contacts',
  afterLead: 'after the lead',
  landing: 'Landing page',
  pages: (count) => `${count} ${count === 1 ? 'page' : 'pages'} viewed`,
  goals: 'Goals',
  term: 'term',
  duration: 'Duration',
  older: (count) => `${count} older ${count === 1 ? 'visit' : 'visits'} not shown`,
  kinds: { visit: 'Visit', form: 'Form', call: 'Call', email: 'E-mail' },
  models: {
    first: 'first touch',
    last: 'last touch',
    last_non_direct: 'last non-direct',
    linear: 'linear',
    time_decay: 'time decay',
    position_based: 'position-based',
    markov: 'data-driven (Markov)',
  },
  channels: {},
  outcomes: { open: 'open', won: 'won', lost: 'lost' },
  reauth: 'The CRM connection needs re-authorisation: an administrator should open the LongFunnel integration and connect it again. Until then new deals are not enriched.',
  disabled: 'LongFunnel is disabled in this CRM account: the data below is no longer updated.',
  errorTitle: 'LongFunnel cannot show this deal',
  sessionExpired: 'The session has expired: reopen the deal card.',
  notFound: 'LongFunnel has no record of this deal yet.',
  unreachable: 'The LongFunnel server does not answer. Check the server address in the widget settings or try again later.',
  serverError: 'The LongFunnel server failed to answer.',
  notConfigured: 'The widget is not set up: an administrator should enter the LongFunnel server address in the widget settings.',
  retry: 'Try again',
  days: (n) => `${n} d`,
  hours: (n) => `${n} h`,
  minutes: (n) => `${n} min`,
  seconds: (n) => `${n} s`,
};

const ru: Texts = {
  title: 'Откуда пришёл клиент',
  loading: 'Загружаем историю визитов…',
  firstTouch: 'Первый источник',
  lastNonDirect: 'Последний значимый',
  credited: (model) => `Засчитан (${model})`,
  markovFallback: 'Модель на основе данных считается в отчётах; в карточке — последний значимый источник.',
  matched: 'Связано по',
  matchMethods: { visitor_id: 'ID посетителя из формы', form: 'заявке с формы сайта (LongFunnel)', call: 'звонку на номер коллтрекинга', phone: 'телефону', email: 'e-mail', none: 'не связано' },
  sure: (percent) => `уверенность ${percent}%`,
  noVisitData: 'Нет данных о визитах',
  touches: (before, after) => `${before} ${ruPlural(before, 'визит', 'визита', 'визитов')} до заявки, ${after} после`,
  funnel: 'Воронка',
  stage: 'Этап',
  inStage: (duration) => `${duration} на этапе`,
  stagesPassed: 'Пройденные этапы',
  created: 'Сделка создана',
  attribution: 'Вклад визитов',
  timeline: 'Визиты и обращения',
  afterLead: 'после заявки',
  landing: 'Страница входа',
  pages: (count) => `${count} ${ruPlural(count, 'страница', 'страницы', 'страниц')}`,
  goals: 'Цели',
  term: 'ключ',
  duration: 'Длительность',
  older: (count) => `ещё ${count} ${ruPlural(count, 'визит', 'визита', 'визитов')} раньше не показано`,
  kinds: { visit: 'Визит', form: 'Форма', call: 'Звонок', email: 'Письмо' },
  models: {
    first: 'первый клик',
    last: 'последний клик',
    last_non_direct: 'последний значимый',
    linear: 'линейная',
    time_decay: 'с распадом во времени',
    position_based: 'по позиции',
    markov: 'на основе данных (Марков)',
  },
  channels: RUSSIAN_CHANNEL_NAMES,
  outcomes: { open: 'в работе', won: 'успешно', lost: 'закрыто и не реализовано' },
  reauth: 'Подключение к CRM требует повторной авторизации: администратору нужно открыть интеграцию LongFunnel и подключить её заново. До этого новые сделки не обогащаются.',
  disabled: 'LongFunnel отключён в этом аккаунте CRM: данные ниже больше не обновляются.',
  errorTitle: 'LongFunnel не может показать сделку',
  sessionExpired: 'Сессия истекла: откройте карточку сделки заново.',
  notFound: 'LongFunnel ещё не знает об этой сделке.',
  unreachable: 'Сервер LongFunnel не отвечает. Проверьте адрес сервера в настройках виджета или повторите позже.',
  serverError: 'Сервер LongFunnel не смог ответить.',
  notConfigured: 'Виджет не настроен: администратору нужно указать адрес сервера LongFunnel в настройках виджета.',
  retry: 'Повторить',
  days: (n) => `${n} дн.`,
  hours: (n) => `${n} ч`,
  minutes: (n) => `${n} мин`,
  seconds: (n) => `${n} с`,
};

export function textsFor(locale: PanelLocale): Texts {
  return locale === 'ru' ? ru : en;
}

export function channelName(texts: Texts, channel: string): string {
  return texts.channels[channel] ?? channel;
}
