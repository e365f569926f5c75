import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sandbox } from '../helpers/sandbox';

/**
 * The Qdrant STAND-IN image (test/sandbox/images/qdrant-standin, truffles/qdrant-standin:1.13) in
 * a real container on the sandbox's Docker Engine, driven through the official
 * @qdrant/js-client-rest. It is not Qdrant: no registry is reachable here, so this image speaks the
 * subset of Qdrant 1.13's REST protocol the console uses. These tests hold it to that protocol.
 */

const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const DOCKER_ENV = { ...process.env, DOCKER_HOST: process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock' };
const IMAGE = 'truffles/qdrant-standin:1.13';
const BASE_IMAGE = 'truffles/debian-base:bookworm';
const HASH_LABEL = 'org.truffles.context-hash';
const CONTEXT = fileURLToPath(new URL('../sandbox/images/qdrant-standin', import.meta.url));
const ID = randomBytes(4).toString('hex');
const CONTAINER = `truffles-it-qdrant-${ID}`;
const VOLUME = `truffles-it-qdrant-${ID}`;
const API_KEY = `it-key-${randomBytes(12).toString('hex')}`;
const COLLECTION = 'kb_chunks';
const UUID = '7f3c2a1e-9b4d-4c6e-8f10-123456789abc';

function docker(args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      DOCKER,
      args,
      { env: DOCKER_ENV, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`docker ${args.join(' ')}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** The same build context hash as test/sandbox/up.sh's build_image: up.sh will not rebuild what this built. */
async function contextHash(): Promise<string> {
  const baseId = (await docker(['image', 'inspect', '-f', '{{.Id}}', BASE_IMAGE])).trim();
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [
        '-c',
        '{ (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); echo "$2"; } | sha256sum | cut -c1-64',
        '_',
        CONTEXT,
        baseId,
      ],
      { encoding: 'utf8' },
      (err, stdout) => (err ? reject(err) : resolve(stdout.trim())),
    );
  });
}

async function ensureImage(): Promise<void> {
  const want = await contextHash();
  const have = await docker([
    'image',
    'inspect',
    '-f',
    `{{ index .Config.Labels "${HASH_LABEL}" }}`,
    IMAGE,
  ]).then(
    (s) => s.trim(),
    () => '',
  );
  if (have !== want)
    await docker(['build', '--label', `${HASH_LABEL}=${want}`, '-t', IMAGE, CONTEXT], 600_000);
}

async function hostPort(): Promise<number> {
  const out = await docker(['port', CONTAINER, '6333/tcp']);
  const m = /127\.0\.0\.1:(\d+)/.exec(out);
  if (!m) throw new Error(`no published port for 6333 in: ${out}`);
  return Number(m[1]);
}

async function waitReady(port: number): Promise<void> {
  const until = Date.now() + 60_000;
  let last = '';
  while (Date.now() < until) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.status === 200) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  const logs = await docker(['logs', '--tail', '50', CONTAINER]).catch(() => '');
  throw new Error(`the Qdrant stand-in did not become ready (${last}):\n${logs}`);
}

function newClient(port: number, apiKey = API_KEY, checkCompatibility = false): QdrantClient {
  // An api key makes the client default to https; the stand-in (like a Qdrant without TLS) is plain
  // http, so https: false. The client then warns "Api key is used with unsecure connection": muted here.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!/Api key is used with unsecure connection/.test(String(args[0]))) warn(...args);
  };
  try {
    return new QdrantClient({ host: '127.0.0.1', port, apiKey, https: false, checkCompatibility });
  } finally {
    console.warn = warn;
  }
}

/** The status and Qdrant error text of a rejected client call. */
async function apiError(p: Promise<unknown>): Promise<{ status: number; error: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { status?: number; data?: { status?: { error?: string } } | string };
    const error = typeof err.data === 'string' ? err.data : (err.data?.status?.error ?? '');
    return { status: err.status ?? -1, error };
  }
  throw new Error('the call succeeded, an error was expected');
}

/** Cosine similarity, computed here independently of the server. */
function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  });
  return dot / Math.sqrt(na * nb);
}

type Pt = { id: number | string; vector: number[]; payload: Record<string, unknown> };
const POINTS: Pt[] = [
  { id: 1, vector: [1, 0, 0, 0], payload: { document_id: 'doc-a', chunk: 0, text: 'alpha' } },
  { id: 2, vector: [0.9, 0.3, 0, 0], payload: { document_id: 'doc-a', chunk: 1, text: 'beta' } },
  { id: 3, vector: [0, 1, 0, 0], payload: { document_id: 'doc-b', chunk: 0, text: 'gamma' } },
  {
    id: UUID,
    vector: [0.5, 0.5, 0.5, 0.5],
    payload: { document_id: 'doc-b', chunk: 1, meta: { lang: 'en' } },
  },
  { id: 5, vector: [-1, 0, 0, 0], payload: { document_id: 'doc-c', chunk: 0 } },
];
const BATCH: Pt[] = [
  { id: 6, vector: [0.7, 0.1, 0.7, 0], payload: { document_id: 'doc-c', chunk: 1 } },
  { id: 7, vector: [0.2, 0.9, 0.1, 0.1], payload: { document_id: 'doc-a', chunk: 2 } },
];
const ALL = [...POINTS, ...BATCH];
const QUERY = [1, 0.2, 0.05, 0];
const rankedIds = (pts: Pt[]): (number | string)[] =>
  [...pts].sort((a, b) => cosine(QUERY, b.vector) - cosine(QUERY, a.vector)).map((p) => p.id);
const byDoc = (...docs: string[]): Pt[] => ALL.filter((p) => docs.includes(p.payload.document_id as string));

describe('Qdrant STAND-IN (truffles/qdrant-standin:1.13, not real Qdrant) through the official @qdrant/js-client-rest', () => {
  let port = 0;
  let client: QdrantClient;
  let snapshotName = '';
  let snapshotBytes: Buffer = Buffer.alloc(0);
  let before: unknown[] = [];

  const base = (): string => `http://127.0.0.1:${port}`;
  /** Every point, in id order, with payload and vector (what the restore must bring back exactly). */
  async function everything(c = client, collection = COLLECTION): Promise<unknown[]> {
    const out: unknown[] = [];
    let offset: number | string | undefined | null = undefined;
    do {
      const page: Awaited<ReturnType<QdrantClient['scroll']>> = await c.scroll(collection, {
        limit: 3,
        offset: offset ?? undefined,
        with_payload: true,
        with_vector: true,
      });
      out.push(...page.points);
      offset = page.next_page_offset as number | string | null | undefined;
    } while (offset !== null && offset !== undefined);
    return out;
  }
  async function upload(
    bytes: Buffer,
    query = 'priority=snapshot',
    filename = 'restore.snapshot',
  ): Promise<Response> {
    const form = new FormData();
    form.append('snapshot', new Blob([new Uint8Array(bytes)]), filename);
    return fetch(`${base()}/collections/${COLLECTION}/snapshots/upload?${query}`, {
      method: 'POST',
      headers: { 'api-key': API_KEY },
      body: form,
    });
  }

  beforeAll(async () => {
    sandbox(); // a clear error when the test host (test/sandbox/up.sh) is not set up
    await ensureImage();
    await docker(['volume', 'create', VOLUME]);
    await docker([
      'run',
      '-d',
      '--name',
      CONTAINER,
      '-e',
      `QDRANT__SERVICE__API_KEY=${API_KEY}`,
      '-p',
      '127.0.0.1::6333',
      '-v',
      `${VOLUME}:/qdrant/storage`,
      IMAGE,
    ]);
    port = await hostPort();
    await waitReady(port);
  }, 600_000); // the first build installs nodejs from Debian

  afterAll(async () => {
    vi.restoreAllMocks();
    await docker(['rm', '-f', '-v', CONTAINER]).catch(() => '');
    await docker(['volume', 'rm', '-f', VOLUME]).catch(() => '');
  });

  it('answers like Qdrant 1.13 (version marked as stand-in), and the client version check works against it', async () => {
    const root = (await (await fetch(`${base()}/`)).json()) as { title: string; version: string };
    expect(root).toMatchObject({ title: 'qdrant - vector search engine' });
    expect(root.version).toMatch(/^1\.13\.\d+-standin$/);
    for (const p of ['/healthz', '/livez', '/readyz']) {
      const r = await fetch(`${base()}${p}`); // health endpoints need no key, as in Qdrant
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    }

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    client = newClient(port, API_KEY, true);
    const info = await client.versionInfo();
    expect(info.version).toBe(root.version);
    await vi.waitFor(() =>
      expect(warn.mock.calls.some((c) => /server version/.test(String(c[0])))).toBe(true),
    );
    const said = [...warn.mock.calls, ...debug.mock.calls].map((c) => String(c[0]));
    // The version was fetched and parsed: no "Failed to obtain" / "Unable to compare". Client 1.18 vs
    // server 1.13 is "incompatible" (minor versions more than 1 apart), exactly as with a real 1.13.
    expect(said.filter((s) => /Failed to obtain|Unable to (compare|parse)/.test(s))).toEqual([]);
    expect(said.some((s) => s.includes(`incompatible with server version ${root.version}`))).toBe(true);
    warn.mockRestore();
    debug.mockRestore();
  });

  it('creates a collection (size 4, Cosine) with a keyword payload index on document_id', async () => {
    expect(await client.createCollection(COLLECTION, { vectors: { size: 4, distance: 'Cosine' } })).toBe(
      true,
    );
    expect(await client.collectionExists(COLLECTION)).toEqual({ exists: true });
    expect(await client.collectionExists('nope')).toEqual({ exists: false });
    const idx = await client.createPayloadIndex(COLLECTION, {
      field_name: 'document_id',
      field_schema: 'keyword',
      wait: true,
    });
    expect(idx.status).toBe('completed');
    expect(await client.getCollections()).toEqual({ collections: [{ name: COLLECTION }] });

    expect(
      await apiError(client.createCollection(COLLECTION, { vectors: { size: 4, distance: 'Cosine' } })),
    ).toEqual({
      status: 400,
      error: `Wrong input: Collection \`${COLLECTION}\` already exists!`,
    });
    expect(await apiError(client.getCollection('missing'))).toEqual({
      status: 404,
      error: "Not found: Collection `missing` doesn't exist!",
    });
  });

  it('upserts points with payloads (list and batch forms, integer and UUID ids)', async () => {
    const r1 = await client.upsert(COLLECTION, { wait: true, points: POINTS });
    expect(r1.status).toBe('completed');
    const r2 = await client.upsert(COLLECTION, {
      wait: true,
      batch: {
        ids: BATCH.map((p) => p.id),
        vectors: BATCH.map((p) => p.vector),
        payloads: BATCH.map((p) => p.payload),
      },
    });
    expect(r2.status).toBe('completed');
    expect(r2.operation_id).toBeGreaterThan(r1.operation_id ?? 0);

    const info = await client.getCollection(COLLECTION);
    expect(info.status).toBe('green');
    expect(info.points_count).toBe(ALL.length);
    expect(info.config.params.vectors).toEqual({ size: 4, distance: 'Cosine' });
    expect(info.payload_schema.document_id).toMatchObject({ data_type: 'keyword', points: ALL.length });

    // Wrong dimension: refused as Qdrant does, nothing stored.
    expect(
      await apiError(client.upsert(COLLECTION, { wait: true, points: [{ id: 99, vector: [1, 2, 3] }] })),
    ).toEqual({
      status: 400,
      error: 'Wrong input: Vector dimension error: expected dim: 4, got 3',
    });
    const got = await client.retrieve(COLLECTION, { ids: [UUID], with_vector: true });
    expect(got).toHaveLength(1);
    const p = got[0]!;
    expect(p.id).toBe(UUID);
    expect(p.payload).toEqual(POINTS[3]!.payload);
    expect(p.vector).toEqual([0.5, 0.5, 0.5, 0.5]); // Cosine vectors are stored normalised, as in Qdrant
  });

  it('searches by cosine, with and without a filter on document_id, in the right order', async () => {
    const all = await client.search(COLLECTION, { vector: QUERY, limit: 10, with_payload: true });
    expect(all.map((s) => s.id)).toEqual(rankedIds(ALL));
    for (const s of all) {
      const pt = ALL.find((x) => x.id === s.id)!;
      expect(s.score).toBeCloseTo(cosine(QUERY, pt.vector), 6);
      expect(s.payload).toEqual(pt.payload);
    }

    const onlyA = await client.search(COLLECTION, {
      vector: QUERY,
      limit: 10,
      filter: { must: [{ key: 'document_id', match: { value: 'doc-a' } }] },
    });
    expect(onlyA.map((s) => s.id)).toEqual(rankedIds(byDoc('doc-a')));

    const notA = await client.search(COLLECTION, {
      vector: QUERY,
      limit: 2,
      filter: { must_not: [{ key: 'document_id', match: { value: 'doc-a' } }] },
    });
    expect(notA.map((s) => s.id)).toEqual(rankedIds(byDoc('doc-b', 'doc-c')).slice(0, 2));

    const threshold = cosine(QUERY, POINTS[2]!.vector) + 1e-9;
    const above = await client.search(COLLECTION, { vector: QUERY, limit: 10, score_threshold: threshold });
    expect(above.map((s) => s.id)).toEqual(
      rankedIds(ALL.filter((p) => cosine(QUERY, p.vector) >= threshold)),
    );

    const q = await client.query(COLLECTION, {
      query: QUERY,
      limit: 3,
      filter: {
        should: [{ key: 'document_id', match: { any: ['doc-b', 'doc-c'] } }, { has_id: [2] }],
        must: [{ key: 'chunk', range: { gte: 1 } }],
      },
      with_payload: true,
    });
    const expected = rankedIds(
      ALL.filter(
        (p) =>
          ((p.payload.chunk as number) >= 1 &&
            ['doc-b', 'doc-c'].includes(p.payload.document_id as string)) ||
          p.id === 2,
      ),
    ).slice(0, 3);
    expect(q.points.map((s) => s.id)).toEqual(expected);
    const nested = await client.query(COLLECTION, {
      query: QUERY,
      filter: { must: [{ key: 'meta.lang', match: { value: 'en' } }] },
    });
    expect(nested.points.map((s) => s.id)).toEqual([UUID]);
  });

  it('scrolls in id order with next_page_offset, and counts with filters', async () => {
    const page = await client.scroll(COLLECTION, { limit: 3, with_payload: false });
    expect(page.points.map((p) => p.id)).toEqual([1, 2, 3]);
    expect(page.next_page_offset).toBe(5);
    const ids = (await everything()).map((p) => (p as { id: number | string }).id);
    expect(ids).toEqual([1, 2, 3, 5, 6, 7, UUID]); // integers first, then UUIDs, as in Qdrant

    expect(await client.count(COLLECTION, { exact: true })).toEqual({ count: ALL.length });
    expect(
      await client.count(COLLECTION, {
        filter: { must: [{ key: 'document_id', match: { value: 'doc-b' } }] },
      }),
    ).toEqual({ count: byDoc('doc-b').length });
  });

  it('deletes points by filter', async () => {
    const r = await client.delete(COLLECTION, {
      wait: true,
      filter: { must: [{ key: 'document_id', match: { value: 'doc-c' } }] },
    });
    expect(r.status).toBe('completed');
    expect(await client.count(COLLECTION)).toEqual({ count: ALL.length - byDoc('doc-c').length });
    const left = await client.search(COLLECTION, { vector: QUERY, limit: 10 });
    expect(left.map((s) => s.id)).toEqual(rankedIds(byDoc('doc-a', 'doc-b')));
  });

  it('creates, lists and downloads a snapshot whose checksum matches', async () => {
    before = await everything();
    expect(before).toHaveLength(ALL.length - byDoc('doc-c').length);
    const snap = await client.createSnapshot(COLLECTION);
    expect(snap).not.toBeNull();
    snapshotName = snap!.name;
    expect(snapshotName).toMatch(
      new RegExp(`^${COLLECTION}-\\d+-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}\\.snapshot$`),
    );
    expect(await client.listSnapshots(COLLECTION)).toContainEqual(snap);

    const r = await fetch(`${base()}/collections/${COLLECTION}/snapshots/${snapshotName}`, {
      headers: { 'api-key': API_KEY },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    snapshotBytes = Buffer.from(await r.arrayBuffer());
    expect(snapshotBytes.length).toBe(snap!.size);
    expect(createHash('sha256').update(snapshotBytes).digest('hex')).toBe(snap!.checksum);
  });

  it('restores the snapshot by upload (priority=snapshot): after the collection was deleted, and over changed data', async () => {
    expect(await client.deleteCollection(COLLECTION)).toBe(true);
    expect(await client.collectionExists(COLLECTION)).toEqual({ exists: false });

    const r = await upload(snapshotBytes);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ result: true, status: 'ok' });
    expect(await everything()).toEqual(before);
    const info = await client.getCollection(COLLECTION);
    expect(info.config.params.vectors).toEqual({ size: 4, distance: 'Cosine' });
    expect(info.payload_schema.document_id).toMatchObject({ data_type: 'keyword' });

    await client.upsert(COLLECTION, {
      wait: true,
      points: [{ id: 42, vector: [0, 0, 0, 1], payload: { document_id: 'x' } }],
    });
    await client.delete(COLLECTION, { wait: true, points: [1] });
    await client.setPayload(COLLECTION, { wait: true, points: [2], payload: { text: 'changed' } });
    expect(await everything()).not.toEqual(before);
    const again = await upload(snapshotBytes, 'priority=snapshot&wait=true');
    expect(again.status).toBe(200);
    expect(await everything()).toEqual(before);
  });

  it('refuses a corrupted snapshot with a 400 and leaves the collection intact', async () => {
    const text = snapshotBytes.toString('utf8');
    const at = text.indexOf('"doc-b"'); // inside a point line: the content no longer matches its checksum
    expect(at).toBeGreaterThan(0);
    const corrupted = Buffer.from(text.slice(0, at) + '"doc-X"' + text.slice(at + 7), 'utf8');
    const r = await upload(corrupted);
    expect(r.status).toBe(400);
    const body = (await r.json()) as { status: { error: string }; time: unknown };
    expect(body.status.error).toMatch(/snapshot/i);
    expect(typeof body.time).toBe('number');

    const truncated = await upload(snapshotBytes.subarray(0, Math.floor(snapshotBytes.length / 2)));
    expect(truncated.status).toBe(400);
    const junk = await upload(randomBytes(4096));
    expect(junk.status).toBe(400);
    const sum = createHash('sha256').update(snapshotBytes).digest('hex');
    const wrongSum = await upload(
      snapshotBytes,
      `priority=snapshot&checksum=${sum.replace(/^./, sum[0] === '0' ? '1' : '0')}`,
    );
    expect(wrongSum.status).toBe(400);

    expect(await everything()).toEqual(before);
    expect(await client.count(COLLECTION)).toEqual({ count: before.length });
  });

  it('answers an upload whose body arrives in pieces, the last ending right after the file part (no stall)', async () => {
    // A slow disk makes the stand-in pause the request while its file write drains; the body's end
    // may then arrive in a later packet than the file part's delimiter. Sent here by hand over TCP,
    // in three writes: most of the file, then 48 KiB more ending exactly in "\r\n--boundary", then
    // (a moment later) the closing "--". The server must read on and answer (400: this is no snapshot).
    const boundary = `b${randomBytes(8).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="snapshot"; filename="x.snapshot"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
      'latin1',
    );
    const first = Buffer.concat([head, randomBytes(2 * 1024 * 1024)]);
    const second = Buffer.concat([randomBytes(48 * 1024), Buffer.from(`\r\n--${boundary}`, 'latin1')]);
    const last = Buffer.from('--\r\n', 'latin1');
    const length = first.length + second.length + last.length;
    const { createConnection } = await import('node:net');
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = createConnection({ host: '127.0.0.1', port });
      let got = '';
      const stall = setTimeout(() => {
        sock.destroy();
        resolve(`STALLED, nothing answered after 60 s (${got.length} bytes)`);
      }, 60_000);
      sock.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (/\r\n\r\n[\s\S]*\}/.test(got)) {
          clearTimeout(stall);
          sock.end();
          resolve(got);
        }
      });
      sock.on('error', (e) => {
        clearTimeout(stall);
        reject(e);
      });
      sock.write(
        `POST /collections/${COLLECTION}/snapshots/upload?priority=snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `api-key: ${API_KEY}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n` +
          `Content-Length: ${length}\r\nConnection: close\r\n\r\n`,
      );
      sock.write(first);
      void sleep(300)
        .then(() => sock.write(second))
        .then(() => sleep(300))
        .then(() => sock.write(last));
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(answer).toMatch(/snapshot/i);
    expect(await everything()).toEqual(before);
  });

  it('recovers a collection from a snapshot location (file:// and http with api_key)', async () => {
    expect(
      await client.recoverSnapshot('kb_from_file', {
        location: `file:///qdrant/snapshots/${COLLECTION}/${snapshotName}`,
        priority: 'snapshot',
      }),
    ).toBe(true);
    expect(await everything(client, 'kb_from_file')).toEqual(before);
    expect(
      await client.recoverSnapshot('kb_from_url', {
        location: `http://127.0.0.1:6333/collections/${COLLECTION}/snapshots/${snapshotName}`,
        api_key: API_KEY,
        checksum: createHash('sha256').update(snapshotBytes).digest('hex'),
      }),
    ).toBe(true);
    expect(await everything(client, 'kb_from_url')).toEqual(before);
  });

  it('keeps its data across docker restart (and runs as uid 1000)', async () => {
    // A write answered without waiting is durable all the same.
    const r = await client.upsert(COLLECTION, {
      wait: false,
      points: [{ id: 100, vector: [0, 0, 1, 0], payload: { document_id: 'doc-d' } }],
    });
    expect(r.status).toBe('acknowledged');
    const expected = await everything();
    expect(expected).toHaveLength(before.length + 1);
    expect((await docker(['exec', CONTAINER, 'awk', '/^Uid:/ {print $2}', '/proc/1/status'])).trim()).toBe(
      '1000',
    );

    await docker(['restart', '-t', '10', CONTAINER]);
    port = await hostPort(); // a published ephemeral port may change on restart
    await waitReady(port);
    const logs = await docker(['logs', CONTAINER]);
    expect(logs.match(/Qdrant HTTP listening on 6333/g)).toHaveLength(2); // really a second process
    expect(logs).toContain(`collection ${COLLECTION}: ${expected.length} points`);
    client = newClient(port);
    expect(await everything()).toEqual(expected);
    expect((await client.getCollection(COLLECTION)).payload_schema.document_id).toMatchObject({
      data_type: 'keyword',
    });
    expect((await client.listSnapshots(COLLECTION)).map((s) => s.name)).toContain(snapshotName);
    expect((await client.getCollections()).collections.map((c) => c.name).sort()).toEqual(
      [COLLECTION, 'kb_from_file', 'kb_from_url'].sort(),
    );
  });

  it('refuses a missing or wrong api-key with 401, and bad JSON with 400', async () => {
    const none = await fetch(`${base()}/collections`);
    expect(none.status).toBe(401);
    expect(await none.text()).toBe('Must provide an API key or an Authorization bearer token');
    const wrong = await fetch(`${base()}/collections`, { headers: { 'api-key': 'not-the-key' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toBe('Invalid API key or JWT');
    expect((await apiError(newClient(port, 'not-the-key').getCollections())).status).toBe(401);
    const bearer = await fetch(`${base()}/collections`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(bearer.status).toBe(200);

    const bad = await fetch(`${base()}/collections/${COLLECTION}/points/search`, {
      method: 'POST',
      headers: { 'api-key': API_KEY, 'content-type': 'application/json' },
      body: '{"vector": [1, 0, 0, 0], "limit": ',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { status: { error: string } }).status.error).toMatch(
      /^Format error in JSON body: /,
    );
  });
});
