// The chosen language: messages from the catalogs, numbers, amounts and dates in its locale.
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { BaseError, formatUnits } from 'viem';
import { ApiFailure } from '../api/client';
import { ActionError } from '../chain/actions';
import { RefusedError } from '../chain/forward';
import { SignInRefused, WrongChainError } from '../session';
import type { Words } from '../chain/vocabulary';
import { constants } from '../generated/chain';
import { en } from './en';
import { type MessageKey, zh } from './zh';

export type Locale = 'zh' | 'en';
const catalogs: Record<Locale, Record<MessageKey, string>> = { zh, en };
const tags: Record<Locale, string> = { zh: 'zh-CN', en: 'en' };

/** The reader's half of a line the server writes in both languages, "中文 / English". */
export function ownHalf(text: string, locale: Locale): string {
  const [zh, ...en] = text.split(' / ');
  return locale === 'zh' || en.length === 0 ? (zh ?? text) : en.join(' / ');
}

/** A catalog's message with `{name}` placeholders filled. */
export function message(locale: Locale, key: MessageKey, vars: Record<string, string | number> = {}): string {
  return catalogs[locale][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

export interface I18n {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  t: (key: MessageKey, vars?: Record<string, string | number>) => string;
  /** A value's words in this language. */
  w: (words: Words) => string;
  /** TIME base units (a decimal string) as hours. */
  hours: (units: string | bigint) => string;
  /** An ISO 8601 time, in this locale. */
  date: (iso: string) => string;
  number: (n: number) => string;
  /** An ISO 8601 date (a day), in this locale. */
  day: (date: string) => string;
  /** Any error, in words a clerk understands. */
  error: (err: unknown) => string;
}

const Context = createContext<I18n | null>(null);

export function makeI18n(locale: Locale, setLocale: (l: Locale) => void): I18n {
  const tag = tags[locale];
  const numbers = new Intl.NumberFormat(tag, { maximumFractionDigits: 2 });
  const dates = new Intl.DateTimeFormat(tag, { dateStyle: 'medium', timeStyle: 'short' });
  const days = new Intl.DateTimeFormat(tag, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const t = (key: MessageKey, vars?: Record<string, string | number>) => message(locale, key, vars);
  return {
    locale,
    setLocale,
    t,
    w: (words) => words[locale],
    hours: (units) => numbers.format(Number(formatUnits(BigInt(units), constants.decimals))),
    date: (iso) => (iso ? dates.format(new Date(iso)) : ''),
    number: (n) => numbers.format(n),
    day: (date) => days.format(new Date(`${date}T00:00:00Z`)),
    error: (err) => {
      if (err instanceof ApiFailure) {
        const key = `error.${err.body.code}` as MessageKey;
        return key in zh ? t(key, { message: err.body.message }) : t('error.unknown', { message: err.body.message });
      }
      if (err instanceof RefusedError) return t('error.refused', { message: err.message });
      if (err instanceof WrongChainError) return t('signin.wrongChain', { wallet: err.wallet, chain: err.chain });
      if (err instanceof SignInRefused) return t('error.signInRefused', { message: err.message });
      // The wallet's own refusals (the person declined, the wallet is locked) come from viem.
      if (err instanceof BaseError) return t('error.wallet', { message: err.shortMessage });
      if (err instanceof ActionError) return t('error.bad_request', { message: err.message });
      const text = err instanceof Error ? err.message : String(err);
      return t('error.unknown', { message: text });
    },
  };
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(() => (localStorage.getItem('timebank.locale') === 'en' ? 'en' : 'zh'));
  const value = useMemo(
    () =>
      makeI18n(locale, (next) => {
        localStorage.setItem('timebank.locale', next);
        setLocaleState(next);
      }),
    [locale],
  );
  useEffect(() => {
    document.documentElement.lang = tags[locale];
  }, [locale]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(Context);
  if (!i18n) throw new Error('useI18n outside I18nProvider');
  return i18n;
}
