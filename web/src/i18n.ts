/**
 * The dashboard's languages (issue #10 item 8): English and Simplified Chinese. The browser's first language picks
 * one (zh* -> zh-CN, else en) until the operator chooses in the header switch (kept in localStorage). `t()` reads
 * the catalogue; dates and numbers go through Intl in the chosen locale. DOM-free apart from optional storage
 * and navigator, so it also runs in Node (tests), where it is English.
 */
import { en, type Catalogue, type Message, type MessageKey } from './locales/en';
import { zhCN } from './locales/zh-cn';

export type { MessageKey } from './locales/en';
export type Locale = 'en' | 'zh-CN';
export const LOCALES: readonly Locale[] = ['en', 'zh-CN'];
export const CATALOGUES: Record<Locale, Catalogue> = { en, 'zh-CN': zhCN };

const STORAGE_KEY = 'gbgw.locale';

/** zh, zh-CN, zh-Hans, zh-TW … -> zh-CN (the one Chinese catalogue); anything else -> en. The first language decides. */
export function localeFor(languages: readonly string[]): Locale {
  return languages[0]?.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

let current: Locale | null = null;
const listeners = new Set<(l: Locale) => void>();

/**
 * The browser globals this module uses, typed here so it also compiles and runs without the DOM (Node tests, where
 * `navigator` exists but is not the user's: no `document` means no browser, and English).
 */
interface BrowserGlobals {
  document?: unknown;
  localStorage?: { getItem(k: string): string | null; setItem(k: string, v: string): void };
  navigator?: { language?: string; languages?: readonly string[] };
}
const g = globalThis as BrowserGlobals;

function storage(): BrowserGlobals['localStorage'] | null {
  try {
    return g.document ? (g.localStorage ?? null) : null;
  } catch {
    return null;
  }
}

/** The browser's languages, most preferred first; empty outside a browser. */
function browserLanguages(): readonly string[] {
  const nav = g.document ? g.navigator : undefined;
  if (!nav) return [];
  return nav.languages?.length ? nav.languages : nav.language ? [nav.language] : [];
}

/** The chosen locale: the stored choice, else the browser's languages, else English. */
export function getLocale(): Locale {
  if (current) return current;
  const stored = storage()?.getItem(STORAGE_KEY);
  if (stored && (LOCALES as readonly string[]).includes(stored)) current = stored as Locale;
  else current = localeFor(browserLanguages());
  return current;
}

/** Chooses a locale, stores it and tells the listeners (the app re-renders the page). */
export function setLocale(locale: Locale): void {
  storage()?.setItem(STORAGE_KEY, locale);
  if (current === locale) return;
  current = locale;
  for (const fn of listeners) fn(locale);
}

export function onLocaleChange(fn: (l: Locale) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The BCP 47 tag for Intl: the browser's own English variant (en-GB, en-US…) when it has one. */
function intlTag(): string {
  if (getLocale() === 'zh-CN') return 'zh-CN';
  return browserLanguages().find((l) => /^en\b/i.test(l)) ?? 'en-US';
}

export type Params = Record<string, string | number>;

/** The text of `key` in the chosen locale with `{name}` replaced by params; `{one, other}` entries pick by `n`. */
export function t(key: MessageKey, params: Params = {}): string {
  return format(CATALOGUES[getLocale()][key] ?? en[key], params);
}

/** Whether a string from outside (an API error code…) names a catalogue entry. */
export function hasKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}

function format(m: Message, params: Params): string {
  const text = typeof m === 'string' ? m : params.n === 1 ? m.one : m.other;
  return text.replace(/\{(\w+)\}/g, (all, name: string) => {
    const v = params[name];
    return v === undefined ? all : typeof v === 'number' ? formatNumber(v) : v;
  });
}

/** A number in the chosen locale (grouping as the locale does it). */
export function formatNumber(n: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(intlTag(), options).format(n);
}

/** Local date and time in the chosen locale, to the second, 24-hour clock. */
export function formatDateTime(d: Date): string {
  return new Intl.DateTimeFormat(intlTag(), { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(d);
}

/** Local time of day in the chosen locale, to the second, 24-hour clock. */
export function formatTime(d: Date): string {
  return new Intl.DateTimeFormat(intlTag(), { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(d);
}
