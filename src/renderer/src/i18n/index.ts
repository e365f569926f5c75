import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import type { Language } from '../../../shared/contract';
import { en } from './en';
import type { Messages } from './en';
import { ru, ruSchemaMessages } from './ru';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: Messages };
  }
}

/** The browser globals used here, typed locally so this module also runs in unit tests. */
const browser = globalThis as unknown as {
  navigator?: { language?: string };
  document?: { documentElement: { lang: string } };
};

/** Best guess before the core tells us the saved language. */
export function guessLanguage(): Language {
  const nav = browser.navigator?.language ?? 'en';
  return nav.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

export function initI18n(lng: Language = guessLanguage()): typeof i18n {
  if (!i18n.isInitialized) {
    void i18n.use(initReactI18next).init({
      resources: { en: { translation: en }, ru: { translation: ru } },
      lng,
      fallbackLng: 'en',
      supportedLngs: ['en', 'ru'],
      interpolation: { escapeValue: false },
      initAsync: false,
      returnNull: false,
    });
  }
  setDocumentLanguage(lng);
  return i18n;
}

export async function setLanguage(lng: Language): Promise<void> {
  if (i18n.language !== lng) await i18n.changeLanguage(lng);
  setDocumentLanguage(lng);
}

export function currentLanguage(): Language {
  return i18n.language === 'ru' ? 'ru' : 'en';
}

function setDocumentLanguage(lng: Language): void {
  if (browser.document) browser.document.documentElement.lang = lng;
}

/** A validation message from the shared zod schemas, in the UI language. */
export function schemaMessage(message: string, lng: Language = currentLanguage()): string {
  if (lng === 'ru') return ruSchemaMessages[message] ?? message;
  return message;
}

export { i18n };
