import { describe, expect, it } from 'vitest';
import { apiError, standin } from './qdrant-standin-modules';
import type { FiltersModule, IdsModule, Point } from './qdrant-standin-modules';

/**
 * Filters of the Qdrant STAND-IN (test/sandbox/images/qdrant-standin/lib/filters.mjs), compiled to
 * predicates and run over points in memory: the condition semantics the console's tenant and
 * knowledge queries rely on, and Qdrant's error texts for malformed filters. No server, no Docker.
 */

const { compileFilter } = await standin<FiltersModule>('filters.mjs');
const { parseId } = await standin<IdsModule>('ids.mjs');

const UUID = '7f3c2a1e-9b4d-4c6e-8f10-123456789abc';
const POINTS: Point[] = [
  {
    id: 1,
    vector: [1, 0],
    payload: {
      document_id: 'a',
      n: 1,
      tags: ['x', 'y'],
      geo: { lat: 52.52, lon: 13.405 },
      when: '2024-01-01T00:00:00Z',
      chunks: [
        { k: 1, s: 'hello world' },
        { k: 2, s: 'bye' },
      ],
    },
  },
  {
    id: 2,
    vector: [0, 1],
    payload: { document_id: 'b', n: 2.5, tags: [], nul: null, when: '2025-06-01T00:00:00Z' },
  },
  {
    id: UUID,
    vector: [1, 1],
    payload: { document_id: 'a', n: 3, obj: { deep: { x: 1 } }, geo: { lat: 48.85, lon: 2.35 } },
  },
  { id: 10, vector: null, payload: { document_id: 'c', flag: true, chunks: [{ k: 2, s: 'hello' }] } },
];

function ids(filter: unknown): (number | string)[] {
  const f = compileFilter(filter);
  if (!f) throw new Error('no predicate');
  return POINTS.filter((p) => f(p)).map((p) => p.id);
}
const must = (...conds: unknown[]) => ({ must: conds });

describe('Qdrant stand-in filters: match conditions', () => {
  it('has no predicate for an absent filter, and an empty filter matches everything', () => {
    expect(compileFilter(undefined)).toBeNull();
    expect(compileFilter(null)).toBeNull();
    expect(ids({})).toEqual([1, 2, UUID, 10]);
  });

  it('matches a keyword value, and any element of an array value', () => {
    expect(ids(must({ key: 'document_id', match: { value: 'a' } }))).toEqual([1, UUID]);
    expect(ids(must({ key: 'tags', match: { value: 'y' } }))).toEqual([1]);
    expect(ids(must({ key: 'flag', match: { value: true } }))).toEqual([10]);
  });

  it('matches any of several values, and except (a point without the key passes except)', () => {
    expect(ids({ must: { key: 'document_id', match: { any: ['b', 'c'] } } })).toEqual([2, 10]);
    expect(ids(must({ key: 'document_id', match: { except: ['a'] } }))).toEqual([2, 10]);
    expect(ids(must({ key: 'flag', match: { except: [true] } }))).toEqual([1, 2, UUID]);
  });

  it('matches text as a substring (no tokenizer), text_any by any word, phrase like text', () => {
    expect(ids(must({ key: 'chunks[].s', match: { text: 'llo wor' } }))).toEqual([1]);
    expect(ids(must({ key: 'chunks[].s', match: { text_any: 'bye nothing' } }))).toEqual([1]);
    expect(ids(must({ key: 'chunks[].s', match: { phrase: 'hello' } }))).toEqual([1, 10]);
  });
});

describe('Qdrant stand-in filters: ranges, counts, emptiness', () => {
  it('compares numbers with lt/gt/gte/lte, and RFC 3339 date-times as instants', () => {
    expect(ids(must({ key: 'n', range: { gt: 1, lte: 3 } }))).toEqual([2, UUID]);
    expect(ids(must({ key: 'when', range: { gte: '2024-06-01T00:00:00+02:00' } }))).toEqual([2]);
  });

  it('counts values (array elements), and tells empty from null', () => {
    expect(ids(must({ key: 'tags', values_count: { gte: 1 } }))).toEqual([1]);
    expect(ids(must({ is_empty: { key: 'tags' } }))).toEqual([2, UUID, 10]);
    expect(ids(must({ is_null: { key: 'nul' } }))).toEqual([2]);
    // A null is no value: a key holding only null is empty, like a missing key.
    expect(ids(must({ key: 'nul', is_empty: true }))).toEqual([1, 2, UUID, 10]);
    expect(ids(must({ key: 'nul', is_null: false }))).toEqual([1, UUID, 10]);
  });
});

describe('Qdrant stand-in filters: geo, ids, vectors, nesting', () => {
  it('finds geo points within a radius in metres, a bounding box and a polygon with a hole', () => {
    const berlin = { lat: 52.52, lon: 13.4 };
    expect(ids(must({ key: 'geo', geo_radius: { center: berlin, radius: 1000 } }))).toEqual([1]);
    expect(ids(must({ key: 'geo', geo_radius: { center: berlin, radius: 900_000 } }))).toEqual([1, UUID]);
    const box = { top_left: { lat: 53, lon: 13 }, bottom_right: { lat: 48, lon: 14 } };
    expect(ids(must({ key: 'geo', geo_bounding_box: box }))).toEqual([1]);
    const ring = (a: number, b: number, c: number, d: number) => ({
      points: [
        { lat: a, lon: c },
        { lat: b, lon: c },
        { lat: b, lon: d },
        { lat: a, lon: d },
      ],
    });
    expect(ids(must({ key: 'geo', geo_polygon: { exterior: ring(40, 60, 0, 20) } }))).toEqual([1, UUID]);
    const holed = { exterior: ring(40, 60, 0, 20), interiors: [ring(52, 53, 13, 14)] };
    expect(ids(must({ key: 'geo', geo_polygon: holed }))).toEqual([UUID]);
  });

  it('selects by id (UUIDs in any accepted spelling) and by presence of a vector', () => {
    const shouty = `{${UUID.toUpperCase()}}`;
    expect(parseId(shouty)).toBe(UUID);
    expect(ids(must({ has_id: [2, shouty] }))).toEqual([2, UUID]);
    expect(ids(must({ has_vector: '' }))).toEqual([1, 2, UUID]);
  });

  it('applies nested conditions to one array element at a time', () => {
    const both = {
      key: 'chunks',
      filter: must({ key: 'k', match: { value: 2 } }, { key: 's', match: { value: 'hello' } }),
    };
    expect(ids(must({ nested: both }))).toEqual([10]);
    // On the flattened arrays the two may hold on different elements: point 1 matches too.
    expect(
      ids(must({ key: 'chunks[].k', match: { value: 2 } }, { key: 'chunks[].s', match: { text: 'hello' } })),
    ).toEqual([1, 10]);
  });

  it('combines must, should, must_not, min_should and nested filter objects', () => {
    expect(
      ids({
        should: [
          { key: 'n', range: { gte: 3 } },
          { key: 'flag', match: { value: true } },
        ],
      }),
    ).toEqual([UUID, 10]);
    expect(
      ids({ must: [{ key: 'document_id', match: { value: 'a' } }], must_not: [{ has_id: [1] }] }),
    ).toEqual([UUID]);
    const atLeastTwo = {
      conditions: [
        { key: 'document_id', match: { value: 'a' } },
        { key: 'n', range: { lt: 2 } },
        { has_vector: '' },
      ],
      min_count: 3,
    };
    expect(ids({ min_should: atLeastTwo })).toEqual([1]);
    expect(ids(must({ must: [{ key: 'obj.deep.x', match: { value: 1 } }] }, {}))).toEqual([UUID]);
  });
});

describe('Qdrant stand-in filters: malformed filters get Qdrant-style errors', () => {
  it('a field condition without a condition is a 422 validation error naming its place', () => {
    expect(apiError(() => compileFilter(must({ key: 'document_id' })))).toEqual({
      code: 422,
      message:
        'Validation error in JSON body: [filter.must[0]: At least one field condition must be specified]',
    });
  });

  it('wrong shapes are 400 format errors with serde-like wording', () => {
    expect(apiError(() => compileFilter([1]))).toEqual({
      code: 400,
      message: 'Format error in JSON body: invalid type: sequence, expected struct Filter',
    });
    expect(apiError(() => compileFilter(must({ key: 5, match: { value: 1 } })))).toEqual({
      code: 400,
      message: 'Format error in JSON body: filter.must[0].key: invalid type: integer `5`, expected a string',
    });
    expect(apiError(() => compileFilter({ should: [{ key: 'a', match: { any: 1 } }] })).message).toBe(
      'Format error in JSON body: filter.should[0].match.any: data did not match any variant of untagged enum AnyVariants',
    );
    expect(apiError(() => compileFilter(must({ foo: 1 }))).message).toBe(
      'Format error in JSON body: filter.must[0]: data did not match any variant of untagged enum Condition',
    );
  });

  it('a malformed payload key is a 400 wrong input', () => {
    expect(apiError(() => compileFilter(must({ key: 'a[x]', match: { value: 1 } })))).toEqual({
      code: 400,
      message: 'Wrong input: Invalid payload key: a[x]',
    });
  });
});
