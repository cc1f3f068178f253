import { h } from './dom';
import { getLocale, LOCALES, setLocale, t } from './i18n';

/** The language menu (header and login card): each language named in itself; choosing one re-renders the page. */
export function languageSwitch(): HTMLSelectElement {
  const sel = h('select', { class: 'lang', 'data-field': 'language', 'aria-label': t('header.language'), title: t('header.language') },
    LOCALES.map((l) => h('option', { value: l, selected: l === getLocale() }, t(`lang.${l}`))));
  sel.addEventListener('change', () => setLocale(sel.value as (typeof LOCALES)[number]));
  return sel;
}
