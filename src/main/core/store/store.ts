import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { CoreError } from '../errors';
import { atomicWriteFile } from './atomic';
import { CURRENT_SCHEMA_VERSION, StoreDataSchema, emptyStore, migrations, type StoreData } from './schema';

/**
 * The operator's local store: host inventory, pinned host keys, settings and encrypted secrets,
 * in one schema-versioned JSON file under the truffles home. Every change is a read-modify-write
 * under a cross-process lock (the desktop app, the CLI and the browser mode may run at once),
 * written atomically.
 */
export class Store {
  readonly file: string;

  constructor(readonly home: string) {
    this.file = join(home, 'store.json');
  }

  async read(): Promise<StoreData> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyStore();
      throw new CoreError(
        'store.unreadable',
        `Cannot read the console's data file ${this.file}: ${(err as Error).message}`,
        'Check the permissions of the data folder (TRUFFLES_HOME).',
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new CoreError(
        'store.corrupt',
        `The console's data file ${this.file} is not valid JSON.`,
        'Restore it from a backup, or move it aside to start with an empty inventory.',
      );
    }
    return this.migrate(raw);
  }

  private migrate(raw: unknown): StoreData {
    if (typeof raw !== 'object' || raw === null) {
      throw new CoreError(
        'store.corrupt',
        `The console's data file ${this.file} has no schema version.`,
        'Move it aside to start afresh.',
      );
    }
    let data = raw as Record<string, unknown>;
    let version = typeof data.schemaVersion === 'number' ? data.schemaVersion : NaN;
    if (!Number.isInteger(version) || version < 1) {
      throw new CoreError(
        'store.corrupt',
        `The console's data file ${this.file} has no valid schema version.`,
        'Move it aside to start afresh.',
      );
    }
    if (version > CURRENT_SCHEMA_VERSION) {
      throw new CoreError(
        'store.too-new',
        `The data file ${this.file} was written by a newer Truffles Console (schema ${version}; this one knows ${CURRENT_SCHEMA_VERSION}).`,
        'Update Truffles Console, or use another TRUFFLES_HOME.',
      );
    }
    while (version < CURRENT_SCHEMA_VERSION) {
      const step = migrations[version];
      if (!step)
        throw new CoreError(
          'store.migration-missing',
          `No migration from store schema ${version}.`,
          'This is a bug; please report it.',
        );
      data = step(data);
      version += 1;
      data.schemaVersion = version;
    }
    const parsed = StoreDataSchema.safeParse(data);
    if (!parsed.success) {
      throw new CoreError(
        'store.corrupt',
        `The console's data file ${this.file} does not match its schema: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
        'Restore it from a backup, or move it aside to start with an empty inventory.',
      );
    }
    return parsed.data;
  }

  /** Read, change and write back under the lock. The change is all-or-nothing. */
  async update<T>(change: (data: StoreData) => T | Promise<T>): Promise<T> {
    await mkdir(this.home, { recursive: true, mode: 0o700 });
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.file, {
        realpath: false,
        stale: 10_000,
        retries: { retries: 50, minTimeout: 20, maxTimeout: 200 },
      });
    } catch (err) {
      throw new CoreError(
        'store.locked',
        `The console's data file is locked by another Truffles process: ${(err as Error).message}`,
        'Wait for the other command to finish and try again.',
      );
    }
    try {
      const data = await this.read();
      const draft = structuredClone(data);
      const result = await change(draft);
      const checked = StoreDataSchema.parse(draft);
      await atomicWriteFile(this.file, JSON.stringify(checked, null, 2) + '\n');
      return result;
    } finally {
      await release();
    }
  }
}
