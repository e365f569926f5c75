/**
 * The host's price table and USD→KZT rates: two files in the agent's folder (cost/prices.json,
 * cost/rates.json), written whole and atomically, read once and kept. With no table written yet,
 * the table this agent was built with applies.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PRICE_TABLE, type PriceEntry, type PriceTable } from '../../shared/cost/prices';
import type { Rate } from '../../shared/cost/view';
import { atomicWrite } from '../alerts/files';

export class PriceBook {
  private table: PriceTable | null = null;
  private rates: Rate[] | null = null;

  constructor(
    /** The agent's own folder. */
    private readonly dir: string,
    private readonly now: () => number,
    private readonly log: (line: string) => void,
  ) {}

  private get pricesPath(): string {
    return join(this.dir, 'cost', 'prices.json');
  }
  private get ratesPath(): string {
    return join(this.dir, 'cost', 'rates.json');
  }

  async prices(): Promise<PriceTable> {
    if (this.table) return this.table;
    try {
      const t = JSON.parse(await readFile(this.pricesPath, 'utf8')) as PriceTable;
      if (typeof t.version === 'string' && Array.isArray(t.entries)) this.table = t;
    } catch {
      // none yet: the table this agent was built with
    }
    this.table ??= PRICE_TABLE;
    return this.table;
  }

  /** The price entries that apply to a tenant: its own, then the host's. */
  async tableFor(slug: string): Promise<PriceTable> {
    const t = await this.prices();
    return { version: t.version, entries: t.entries.filter((e) => !e.tenant || e.tenant === slug) };
  }

  async setPrices(entries: PriceEntry[], by: string): Promise<PriceTable> {
    const t = await this.prices();
    const same = (a: PriceEntry, b: PriceEntry): boolean =>
      a.provider === b.provider &&
      a.model === b.model &&
      a.from === b.from &&
      (a.tenant ?? '') === (b.tenant ?? '');
    const kept = t.entries.filter((e) => !entries.some((n) => same(e, n)));
    const next: PriceTable = { version: this.nextVersion(t), entries: [...kept, ...entries] };
    await this.write(next);
    this.log(`cost: price table ${next.version} set by ${by} (${entries.length} entries)`);
    return next;
  }

  /** A deleted tenant's own price entries leave the host's table (a new version of it). */
  async pruneOverrides(gone: (tenant: string) => boolean): Promise<void> {
    const t = await this.prices();
    const removed = new Set<string>();
    for (const e of t.entries) if (e.tenant && gone(e.tenant)) removed.add(e.tenant);
    if (removed.size === 0) return;
    const next: PriceTable = {
      version: this.nextVersion(t),
      entries: t.entries.filter((e) => !e.tenant || !removed.has(e.tenant)),
    };
    await this.write(next);
    this.log(
      `cost: price table ${next.version}: the entries of ${[...removed].join(', ')} (no longer on this host) removed`,
    );
  }

  async rateList(): Promise<Rate[]> {
    if (this.rates) return this.rates;
    try {
      const r = JSON.parse(await readFile(this.ratesPath, 'utf8')) as Rate[];
      this.rates = Array.isArray(r) ? r : [];
    } catch {
      this.rates = [];
    }
    return this.rates;
  }

  async importRates(rates: Rate[], by: string): Promise<{ count: number; added: number; replaced: number }> {
    const byDay = new Map((await this.rateList()).map((r) => [r.date, r]));
    let added = 0;
    let replaced = 0;
    for (const r of rates) {
      if (byDay.has(r.date)) replaced += 1;
      else added += 1;
      byDay.set(r.date, { date: r.date, kztPerUsd: r.kztPerUsd });
    }
    const next = [...byDay.values()].sort((a, b) => a.date.localeCompare(b.date));
    await atomicWrite(this.ratesPath, JSON.stringify(next));
    this.rates = next;
    this.log(`cost: ${rates.length} rates imported by ${by} (${added} added, ${replaced} replaced)`);
    return { count: next.length, added, replaced };
  }

  private async write(next: PriceTable): Promise<void> {
    await atomicWrite(this.pricesPath, JSON.stringify(next, null, 1));
    this.table = next;
  }

  /** The table's next version: today's date and a counter. */
  private nextVersion(t: PriceTable): string {
    const day = new Date(this.now()).toISOString().slice(0, 10);
    return `${day}.${t.version.startsWith(day) ? Number(t.version.split('.')[1] ?? 0) + 1 : 1}`;
  }
}
