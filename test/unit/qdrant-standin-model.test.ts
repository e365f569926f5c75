import { describe, expect, it } from 'vitest';
import { apiError, collectionOf, standin } from './qdrant-standin-modules';
import type {
  CollectionModule,
  ConfigModule,
  IdsModule,
  PayloadModule,
  Point,
  PointOpsModule,
  SearchModule,
  VectorsModule,
} from './qdrant-standin-modules';

/**
 * The pure pieces of the Qdrant STAND-IN (test/sandbox/images/qdrant-standin/lib) without a server:
 * point ids and their order, payload paths and selections, vector checks and distances, collection
 * config, brute-force search and query, and the update operations its log replays.
 */

const { parseId, keyOf, cmpId } = await standin<IdsModule>('ids.mjs');
const payload = await standin<PayloadModule>('payload.mjs');
const { parsePointVector, score } = await standin<VectorsModule>('vectors.mjs');
const { buildConfig, validateCollectionName } = await standin<ConfigModule>('collection-config.mjs');
const { runSearch, runQuery } = await standin<SearchModule>('search.mjs');
const { parseUpsert, selectIds } = await standin<PointOpsModule>('point-ops.mjs');
const { applyOp } = await standin<CollectionModule>('collection.mjs');

const UUID = '7f3c2a1e-9b4d-4c6e-8f10-123456789abc';
const col = (vectors: Parameters<typeof collectionOf>[0], points: Point[] = []) =>
  collectionOf(vectors, points, keyOf, cmpId);

describe('Qdrant stand-in: point ids', () => {
  it('keeps unsigned integers and normalises every UUID spelling to lowercase hyphenated', () => {
    expect(parseId(0)).toBe(0);
    expect(parseId(2 ** 53 - 1)).toBe(2 ** 53 - 1);
    for (const s of [UUID.toUpperCase(), `urn:uuid:${UUID}`, `{${UUID}}`, UUID.replace(/-/g, '')])
      expect(parseId(s)).toBe(UUID);
  });

  it('refuses other ids with Qdrant text, and says why for integers above 2^53-1', () => {
    const valid = 'is not a valid point ID, valid values are either an unsigned integer or a UUID';
    expect(apiError(() => parseId(-1))).toEqual({
      code: 400,
      message: `Format error in JSON body: value -1 ${valid}`,
    });
    expect(apiError(() => parseId('nope')).message).toBe(`Format error in JSON body: value nope ${valid}`);
    expect(apiError(() => parseId(2 ** 60)).message).toContain(
      '(the Qdrant stand-in keeps integer ids up to 2^53-1)',
    );
  });

  it('orders integers numerically before UUIDs, as Qdrant scrolls', () => {
    expect([UUID, 10, '00000000-0000-0000-0000-000000000001', 2].sort(cmpId)).toEqual([
      2,
      10,
      '00000000-0000-0000-0000-000000000001',
      UUID,
    ]);
  });
});

describe('Qdrant stand-in: payload paths and selections', () => {
  const doc = () => ({ a: { b: [{ c: 1 }, { c: 2, d: 'x' }] }, 'we.ird': 5, list: [1, 2, 3], n: null });

  it('parses dot paths with array markers, indexes and quoted names', () => {
    expect(payload.parsePath('a.b[].c')).toEqual([
      { name: 'a', index: null },
      { name: 'b', index: null },
      { name: 'c', index: null },
    ]);
    expect(payload.parsePath('list[1]')).toEqual([{ name: 'list', index: 1 }]);
    expect(payload.parsePath('"we.ird"')).toEqual([{ name: 'we.ird', index: null }]);
  });

  it('reads the values at a path, arrays flattened and nulls dropped', () => {
    const at = (key: string) => payload.flatValues(payload.rawValues(doc(), payload.parsePath(key)));
    expect(at('a.b[].c')).toEqual([1, 2]);
    expect(at('a.b[1].d')).toEqual(['x']);
    expect(at('list')).toEqual([1, 2, 3]);
    expect(at('"we.ird"')).toEqual([5]);
    expect(at('n')).toEqual([]);
  });

  it('deletes by path, inside every array element or at one index', () => {
    const d = doc();
    payload.deletePath(d, 'a.b[].c');
    payload.deletePath(d, 'list[0]');
    expect(d).toEqual({ a: { b: [{}, { d: 'x' }] }, 'we.ird': 5, list: [2, 3], n: null });
  });

  it('selects payload by include and exclude lists, copying (never sharing) the stored values', () => {
    const d = doc();
    const sel = (v: unknown) => payload.selectPayload(d, payload.parseWithPayload(v, true));
    expect(sel(['a.b', 'n', 'missing'])).toEqual({ a: { b: d.a.b }, n: null });
    expect(sel({ exclude: ['a', 'list'] })).toEqual({ 'we.ird': 5, n: null });
    expect(sel(false)).toBeNull();
    const copy = sel(true) as { a: { b: unknown[] } };
    copy.a.b.pop();
    expect(d.a.b).toHaveLength(2);
    expect(apiError(() => payload.parseWithPayload(7, true)).message).toBe(
      'Format error in JSON body: with_payload: data did not match any variant of untagged enum WithPayloadInterface',
    );
  });

  it('counts a value for a payload index only when it has the index type', () => {
    expect(payload.valueFitsIndex('integer', 3)).toBe(true);
    expect(payload.valueFitsIndex('integer', 3.5)).toBe(false);
    expect(payload.valueFitsIndex('float', 3)).toBe(true);
    expect(payload.valueFitsIndex('geo', { lat: 1, lon: 2 })).toBe(true);
    expect(payload.valueFitsIndex('datetime', '2024-01-01T00:00:00Z')).toBe(true);
    expect(payload.valueFitsIndex('uuid', UUID.toUpperCase())).toBe(true);
    expect(payload.valueFitsIndex('keyword', 1)).toBe(false);
  });
});

describe('Qdrant stand-in: vectors and collection config', () => {
  it('normalises Cosine vectors on the way in, and refuses a wrong dimension or vector name', () => {
    const cos = col({ size: 2, distance: 'Cosine' });
    expect(parsePointVector(cos, [3, 4], 'v')).toEqual([0.6, 0.8]);
    expect(parsePointVector(cos, [3, 4], 'v', false)).toEqual([3, 4]);
    expect(apiError(() => parsePointVector(cos, [1, 2, 3], 'v'))).toEqual({
      code: 400,
      message: 'Wrong input: Vector dimension error: expected dim: 2, got 3',
    });
    const named = col({ a: { size: 2, distance: 'Dot' } });
    expect(parsePointVector(named, { a: [3, 4] }, 'v')).toEqual({ a: [3, 4] });
    expect(apiError(() => parsePointVector(named, { b: [1, 2] }, 'v')).message).toBe(
      'Wrong input: Not existing vector name error: b',
    );
    expect(apiError(() => parsePointVector(cos, { indices: [0], values: [1] }, 'v')).message).toContain(
      'sparse vectors is not supported by the Qdrant stand-in',
    );
  });

  it('scores by the collection distance', () => {
    expect(score('Dot', [1, 2], [3, 4])).toBe(11);
    expect(score('Euclid', [0, 0], [3, 4])).toBe(5);
    expect(score('Manhattan', [0, 0], [3, -4])).toBe(7);
  });

  it("fills Qdrant's defaults into a new collection's config and keeps what it was given", () => {
    const cfg = buildConfig({ vectors: { size: 4, distance: 'Cosine' }, hnsw_config: { m: 8 } });
    expect(cfg.params).toEqual({
      vectors: { size: 4, distance: 'Cosine' },
      shard_number: 1,
      replication_factor: 1,
      write_consistency_factor: 1,
      on_disk_payload: true,
    });
    expect(cfg.hnsw_config).toMatchObject({ m: 8, ef_construct: 100 });
    expect(apiError(() => buildConfig({ vectors: { size: 4, distance: 'Cos' } })).message).toBe(
      'Format error in JSON body: vectors.distance: unknown variant `Cos`, expected one of `Cosine`, `Euclid`, `Dot`, `Manhattan`',
    );
    expect(apiError(() => buildConfig({ vectors: { size: 0, distance: 'Dot' } }))).toEqual({
      code: 422,
      message: 'Validation error in JSON body: [vectors.size: value 0 invalid, must be from 1 to 65536]',
    });
  });

  it('refuses collection names Qdrant refuses, as path validation errors', () => {
    expect(() => validateCollectionName('kb_chunks')).not.toThrow();
    expect(apiError(() => validateCollectionName('a:b'))).toEqual({
      code: 422,
      message: 'Validation error in path parameters: [name: collection name cannot contain ":" char]',
    });
    expect(apiError(() => validateCollectionName('..')).message).toBe(
      'Validation error in path parameters: [name: collection name cannot be `..`]',
    );
  });
});

describe('Qdrant stand-in: search and query', () => {
  const points: Point[] = [
    { id: 3, vector: [1, 0], payload: { doc: 'a' } },
    { id: 1, vector: [1, 0], payload: { doc: 'b' } },
    { id: 2, vector: [0, 1], payload: { doc: 'a' } },
    { id: UUID, vector: [-1, 0], payload: { doc: 'a' } },
  ];

  it('ranks by score, ties in id order, with offset, limit, filter and payload selection', () => {
    const c = col({ size: 2, distance: 'Dot' }, points);
    const hits = runSearch(c, { vector: [2, 0], limit: 3, with_payload: true });
    expect(hits.map((h) => [h.id, h.score])).toEqual([
      [1, 2],
      [3, 2],
      [2, 0],
    ]);
    expect(hits[0]).toEqual({ id: 1, version: 7, score: 2, payload: { doc: 'b' }, vector: null });
    const filtered = runSearch(c, {
      vector: [2, 0],
      limit: 2,
      offset: 1,
      filter: { must: [{ key: 'doc', match: { value: 'a' } }] },
    });
    expect(filtered.map((h) => h.id)).toEqual([2, UUID]);
    expect(filtered[0]?.payload).toBeNull();
  });

  it('treats lower as better for Euclid, score_threshold included', () => {
    const c = col({ size: 2, distance: 'Euclid' }, points);
    const hits = runSearch(c, { vector: [1, 0], limit: 10, score_threshold: 1.5 });
    expect(hits.map((h) => [h.id, h.score])).toEqual([
      [1, 0],
      [3, 0],
      [2, Math.SQRT2],
    ]);
  });

  it('queries by a point id (that point excluded), and with no query lists points in id order', () => {
    const c = col({ size: 2, distance: 'Dot' }, points);
    expect(runQuery(c, { query: 3, limit: 2 }).map((h) => h.id)).toEqual([1, 2]);
    expect(runQuery(c, { query: { nearest: [0, 1] }, limit: 1 }).map((h) => h.id)).toEqual([2]);
    expect(runQuery(c, {}).map((h) => [h.id, h.score])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [UUID, 0],
    ]);
    expect(apiError(() => runQuery(c, { query: 99 })).message).toBe('Not found: No point with id 99 found');
    expect(apiError(() => runQuery(c, { query: { recommend: {} } })).message).toContain(
      'query `recommend` is not supported by the Qdrant stand-in',
    );
  });
});

describe('Qdrant stand-in: update operations', () => {
  it('reads the points and batch forms of an upsert into the same operation', () => {
    const c = col({ size: 2, distance: 'Dot' });
    const listed = parseUpsert(c, {
      points: [
        { id: 1, vector: [1, 2], payload: { a: 1 } },
        { id: UUID.toUpperCase(), vector: [3, 4] },
      ],
    });
    const batched = parseUpsert(c, {
      batch: {
        ids: [1, UUID],
        vectors: [
          [1, 2],
          [3, 4],
        ],
        payloads: [{ a: 1 }, null],
      },
    });
    expect(batched).toEqual(listed);
    expect(listed.points[1]).toEqual({ id: UUID, vector: [3, 4], payload: {} });
    expect(
      apiError(() =>
        parseUpsert(c, {
          batch: {
            ids: [1],
            vectors: [
              [1, 2],
              [3, 4],
            ],
          },
        }),
      ).message,
    ).toBe('Wrong input: Wrong number of vectors: 2 vectors for 1 ids');
  });

  it('selects ids by list (existing or not) or by filter (existing, in id order)', () => {
    const c = col({ size: 1, distance: 'Dot' }, [
      { id: 5, vector: [1], payload: { t: 'x' } },
      { id: 2, vector: [1], payload: { t: 'x' } },
      { id: 3, vector: [1], payload: { t: 'y' } },
    ]);
    expect(selectIds(c, { points: [9, 5] })).toEqual([9, 5]);
    expect(selectIds(c, { filter: { must: [{ key: 't', match: { value: 'x' } }] } })).toEqual([2, 5]);
  });

  it('applies logged payload and vector operations as the log replays them', () => {
    const c = col({ a: { size: 1, distance: 'Dot' }, b: { size: 1, distance: 'Dot' } }, [
      { id: 1, vector: { a: [1], b: [2] }, payload: { x: { y: 1 }, keep: true, tags: ['p', 'q'] } },
    ]);
    const p = () => c.points.get(keyOf(1));
    applyOp(c, { op: 'set_payload', ids: [1, 99], payload: { z: 2 }, key: 'x.deep' });
    expect(p()?.payload).toEqual({ x: { y: 1, deep: { z: 2 } }, keep: true, tags: ['p', 'q'] });
    applyOp(c, { op: 'delete_payload', ids: [1], keys: ['x.y', 'tags[0]'] });
    expect(p()?.payload).toEqual({ x: { deep: { z: 2 } }, keep: true, tags: ['q'] });
    applyOp(c, { op: 'update_vectors', points: [{ id: 1, vector: { b: [5] } }] });
    applyOp(c, { op: 'delete_vectors', ids: [1], names: ['a'] });
    expect(p()?.vector).toEqual({ b: [5] });
    applyOp(c, { op: 'overwrite_payload', ids: [1], payload: { only: 1 } });
    expect(p()?.payload).toEqual({ only: 1 });
    applyOp(c, { op: 'delete', ids: [1] });
    expect(c.points.size).toBe(0);
    expect(() => applyOp(c, { op: 'frobnicate' })).toThrow('unknown operation in the log: frobnicate');
  });
});
