/**
 * Personal-data requests (issue 17): a customer's data, found by phone number in every store of
 * the tenant's stack, exported as one file or erased. Runs from the console over the host's one
 * SSH connection (tunnels to the tenant's PostgreSQL, Qdrant and Redis), as an operator: the
 * support door serves none of it. Each request is recorded in the host's audit trail with the
 * customer's id and the counts — never the phone, a name or a message — and an erasure also in
 * the tenant's own audit log.
 */
import { posix } from 'node:path';
import type { PrivacyBackups, PrivacyFinding, PrivacyStore } from '../../../shared/contract/privacy';
import { phoneDigits } from '../../../shared/contract/privacy';
import { appendAudit, auditActor } from '../audit/trail';
import type { BackupService } from '../backups/service';
import type { HostTransport } from '../hosts/transport';
import type { HostRecord } from '../store/schema';
import { withTenantPg } from '../tenantdata/postgres';
import { withTenantQdrant } from '../tenantdata/qdrant';
import { readHostFile, tenantDir } from '../tenants/hostfs';
import { parseEnvFile } from '../tenants/resources';
import type { TenantService } from '../tenants/service';
import { retentionEnd } from './match';
import { countRows, eraseRows, exportRows, findSubject, type Subject } from './postgres';
import { qdrantHits, qdrantRedact, redisDelete, redisExport, redisKeys, withTenantRedis } from './stores';

export interface PrivacyDeps {
  tenants: Pick<TenantService, 'locate'>;
  backups: Pick<BackupService, 'list' | 'scheduleInfo'>;
  /** Who the tenant's own audit log names for an erasure (the host's trail names the key). */
  actor?: () => string;
}

interface Request {
  host?: string | undefined;
  tenant: string;
  phone: string;
}

/** Where the tenant is and how to log in to its stores. */
interface Target {
  host: HostRecord;
  t: HostTransport;
  env: Record<string, string>;
}

/** What every store holds, as found in one pass (counts and what an export or erasure needs). */
interface Found {
  subject: Subject;
  postgres: { place: string; count: number; action: string }[];
  qdrant: Awaited<ReturnType<typeof qdrantHits>>;
  redis: string[];
}

export class PrivacyService {
  private readonly actor: () => string;

  constructor(private readonly d: PrivacyDeps) {
    this.actor = d.actor ?? auditActor;
  }

  private async target(i: Request): Promise<Target> {
    const { host, t } = await this.d.tenants.locate(i.tenant, i.host);
    const env = parseEnvFile(
      (await readHostFile(t, posix.join(tenantDir(host.stateDir, i.tenant), '.env'))) ?? '',
    );
    return { host, t, env };
  }

  private pg<T>(x: Target, slug: string, fn: Parameters<typeof withTenantPg<T>>[3]): Promise<T> {
    return withTenantPg(
      x.t,
      slug,
      { user: x.env.POSTGRES_USER, password: x.env.POSTGRES_PASSWORD, database: x.env.POSTGRES_DB },
      fn,
    );
  }

  private async search(
    x: Target,
    slug: string,
    digits: string,
    only: 'all' | 'pd' = 'all',
    known?: Subject,
  ): Promise<Found> {
    const { subject, postgres } = await this.pg(x, slug, async (c) => {
      const s = known ?? (await findSubject(c, digits));
      return { subject: s, postgres: await countRows(c, s, only) };
    });
    return { subject, postgres, ...(await this.outside(x, slug, subject, only)) };
  }

  /** Their Qdrant points and Redis keys. */
  private async outside(
    x: Target,
    slug: string,
    subject: Subject,
    only: 'all' | 'pd' = 'all',
  ): Promise<Pick<Found, 'qdrant' | 'redis'>> {
    const qdrant = await withTenantQdrant(x.t, slug, x.env.QDRANT_API_KEY, (q) =>
      qdrantHits(q, subject, only),
    );
    const redis = await withTenantRedis(x.t, slug, x.env.REDIS_PASSWORD, (r) => redisKeys(r, subject, only));
    return { qdrant, redis };
  }

  private async finding(
    x: Target,
    slug: string,
    f: Found,
    backupsBefore?: PrivacyBackups,
  ): Promise<PrivacyFinding> {
    const byCollection = new Map<string, number>();
    for (const h of f.qdrant) byCollection.set(h.collection, (byCollection.get(h.collection) ?? 0) + 1);
    const stores: PrivacyStore[] = [
      { store: 'postgres', places: f.postgres.filter((p) => p.place !== 'n8n.execution_data') },
      {
        store: 'qdrant',
        places: [...byCollection].map(([place, count]) => ({
          place,
          count,
          action: 'payload text redacted',
        })),
      },
      {
        store: 'redis',
        places: f.redis.length ? [{ place: 'keys', count: f.redis.length, action: 'deleted' }] : [],
      },
      {
        store: 'n8n',
        places: f.postgres
          .filter((p) => p.place === 'n8n.execution_data')
          .map((p) => ({ place: 'executions', count: p.count, action: p.action })),
      },
    ];
    return {
      host: x.host.name,
      tenant: slug,
      customers: f.subject.customers.map((c) => c.id),
      stores,
      total: stores.reduce((n, s) => n + s.places.reduce((m, p) => m + p.count, 0), 0),
      backups: backupsBefore ?? (await this.backupsStatement(x.host.name, slug)),
      matchedBy: [
        'the phone number, however it is written',
        ...(f.subject.emails.length ? ['the customer’s email'] : []),
        ...(f.subject.customers.length ? ['the ids of the customer, their conversations and orders'] : []),
      ],
    };
  }

  /** Which backups still hold the data, and when the retention rule removes the last of them. */
  async backupsStatement(host: string, slug: string): Promise<PrivacyBackups> {
    const [list, schedule] = await Promise.all([
      this.d.backups.list(slug, host).catch(() => null),
      this.d.backups.scheduleInfo(host).catch(() => null),
    ]);
    const backups = (list?.backups ?? []).map((b) => ({ id: b.id, createdAt: b.createdAt }));
    const sorted = backups.map((b) => b.createdAt).sort();
    const retention = schedule?.retention ?? null;
    const end = retention ? retentionEnd(backups, retention) : null;
    const offsiteDays = schedule?.offsite?.keep ?? null;
    const day = (iso: string): string => iso.slice(0, 10);
    let statement: string;
    if (!backups.length) statement = `No backup of '${slug}' on ${host} holds this customer's data.`;
    else {
      statement =
        `${backups.length} backup${backups.length === 1 ? '' : 's'} of '${slug}' taken before this request ` +
        `(${day(sorted[0]!)}${backups.length > 1 ? ` to ${day(sorted.at(-1)!)}` : ''}) still ${backups.length === 1 ? 'holds' : 'hold'} the customer's data: backups are encrypted and never rewritten. ` +
        (retention
          ? end
            ? `They leave by the host's retention rule (${retention.daily} daily, ${retention.weekly} weekly): by ${day(end.toISOString())} at the latest, while backups go on daily.`
            : `A final backup (of a deleted tenant) is among them: it is kept until it is deleted by hand.`
          : `The host's retention rule could not be read.`) +
        (offsiteDays ? ` The offsite reserve keeps its copies ${offsiteDays} days.` : '') +
        ' A restore of one of them brings the data back: erase again after any restore.';
    }
    return {
      holding: backups.length,
      oldest: sorted[0] ?? null,
      newest: sorted.at(-1) ?? null,
      retention,
      goneBy: end ? end.toISOString() : null,
      offsiteDays,
      statement,
    };
  }

  private async record(x: Target, action: string, slug: string, f: PrivacyFinding): Promise<void> {
    await appendAudit(x.t, x.host, {
      action,
      subject: `tenant:${slug}`,
      details: {
        customers: f.customers.slice(0, 5),
        total: f.total,
        counts: Object.fromEntries(f.stores.map((s) => [s.store, s.places.reduce((n, p) => n + p.count, 0)])),
      },
    });
  }

  /** What the tenant holds about them, store by store (counts only): the erasure's preview. */
  async find(i: Request): Promise<PrivacyFinding> {
    const x = await this.target(i);
    const f = await this.finding(x, i.tenant, await this.search(x, i.tenant, phoneDigits(i.phone)));
    await this.record(x, 'privacy.find', i.tenant, f);
    return f;
  }

  /** Everything the tenant holds about them, as one JSON document. */
  async export(i: Request): Promise<{ finding: PrivacyFinding; fileName: string; json: string }> {
    const x = await this.target(i);
    // PostgreSQL's rows are read once: the export's rows carry their counts.
    const { subject, pgData } = await this.pg(x, i.tenant, async (c) => {
      const s = await findSubject(c, phoneDigits(i.phone));
      return { subject: s, pgData: await exportRows(c, s) };
    });
    const found: Found = { subject, postgres: pgData.counts, ...(await this.outside(x, i.tenant, subject)) };
    const finding = await this.finding(x, i.tenant, found);
    const redis = await withTenantRedis(x.t, i.tenant, x.env.REDIS_PASSWORD, (r) =>
      redisExport(r, found.redis),
    );
    const at = new Date().toISOString();
    const doc = {
      format: 'truffles-personal-data/1',
      exportedAt: at,
      tenant: i.tenant,
      host: x.host.name,
      phone: i.phone,
      report: {
        matchedBy: finding.matchedBy,
        stores: finding.stores,
        backups: finding.backups.statement,
        truncated: pgData.truncated,
      },
      postgres: pgData.tables,
      qdrant: found.qdrant,
      redis,
      n8n: { executions: pgData.executions },
    };
    await this.record(x, 'privacy.export', i.tenant, finding);
    return {
      finding,
      fileName: `${i.tenant}-personal-data-${found.subject.customers[0]?.id.slice(0, 8) ?? 'none'}-${at.slice(0, 10)}.json`,
      json: JSON.stringify(doc, null, 2) + '\n',
    };
  }

  /**
   * Erase them everywhere: PostgreSQL and n8n's executions in one transaction (undone whole, before
   * any other store is touched, if a row would still name them); Qdrant's payloads redacted and
   * Redis's keys deleted while it is open; then committed, and every store searched again for
   * their phone and email.
   */
  async erase(i: Request & { host: string }): Promise<{ erased: PrivacyFinding; after: PrivacyFinding }> {
    const x = await this.target(i);
    const digits = phoneDigits(i.phone);
    const found = await this.search(x, i.tenant, digits);
    const before = await this.finding(x, i.tenant, found);
    // PostgreSQL's transaction stays open while Qdrant and Redis are erased, and commits last.
    await this.pg(x, i.tenant, (c) =>
      eraseRows(c, found.subject, this.actor(), async () => {
        await withTenantQdrant(x.t, i.tenant, x.env.QDRANT_API_KEY, (q) =>
          qdrantRedact(q, found.subject, found.qdrant),
        );
        await withTenantRedis(x.t, i.tenant, x.env.REDIS_PASSWORD, (r) => redisDelete(r, found.redis));
      }),
    );
    const after = await this.finding(
      x,
      i.tenant,
      await this.search(x, i.tenant, digits, 'pd', found.subject),
      before.backups,
    );
    await this.record(x, 'privacy.erase', i.tenant, before);
    return { erased: before, after };
  }
}
