/**
 * The tenant the Knowledge screen showed last, kept in the page's local storage so the screen opens
 * on it next time (a storage that refuses leaves the choice to this session).
 */
import type { TenantRef } from './kb';

const REMEMBER_KEY = 'truffles.knowledge.tenant';
const browser = globalThis as unknown as {
  localStorage?: { getItem(k: string): string | null; setItem(k: string, v: string): void };
};

/** The tenant chosen last time (null when none, or the storage cannot be read). */
export function rememberedTenant(): TenantRef | null {
  try {
    const raw = browser.localStorage?.getItem(REMEMBER_KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<TenantRef>;
    return typeof v.host === 'string' && typeof v.slug === 'string' ? { host: v.host, slug: v.slug } : null;
  } catch {
    return null;
  }
}

export function remember(t: TenantRef): void {
  try {
    browser.localStorage?.setItem(REMEMBER_KEY, JSON.stringify(t));
  } catch {
    /* storage refused: the choice lasts this session */
  }
}
