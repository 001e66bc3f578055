/**
 * The channel groups (GA4's default channel groups and the Russian market's own, as the classifier
 * names them) in Russian, for what managers and marketers read: the deal-card panel and the
 * dashboard. In English the classifier's names are shown as they are.
 */
export const RUSSIAN_CHANNEL_NAMES: Readonly<Record<string, string>> = {
  Direct: 'Прямые заходы',
  'Cross-network': 'Кросс-сетевые',
  'Paid Shopping': 'Платные товарные',
  'Paid Search': 'Платный поиск',
  'Paid Social': 'Платные соцсети',
  'Paid Video': 'Платное видео',
  Display: 'Медийная реклама',
  'Paid Other': 'Прочая платная',
  'AI Assistants': 'ИИ-ассистенты',
  Messengers: 'Мессенджеры',
  Classifieds: 'Доски объявлений',
  Maps: 'Карты',
  'Organic Shopping': 'Товарные (бесплатные)',
  'Organic Social': 'Соцсети',
  'Organic Video': 'Видео',
  'Organic Search': 'Поиск',
  Referral: 'Переходы с сайтов',
  Email: 'Рассылки',
  Affiliates: 'Партнёры',
  Audio: 'Аудио',
  SMS: 'SMS',
  'Mobile Push Notifications': 'Push-уведомления',
  Unassigned: 'Не определён',
  // The reports' row for deals with no visit on their path (server/reports/dealCredits.ts NO_SOURCE).
  '(none)': 'Без источника',
};

/** A channel group's name in `locale`; an unknown name is shown as it is. */
export function channelLabel(channel: string, locale: 'ru' | 'en'): string {
  return locale === 'ru' ? (RUSSIAN_CHANNEL_NAMES[channel] ?? channel) : channel;
}
