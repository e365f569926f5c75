/**
 * Typed access to the pure modules of the Qdrant stand-in (test/sandbox/images/qdrant-standin/lib,
 * plain-Node .mjs without type declarations). They are imported by URL so that the type checker
 * does not look for declarations; the shapes below are what the tests use, nothing more.
 */

export interface Point {
  id: number | string;
  vector: unknown;
  payload: Record<string, unknown>;
}
export type Predicate = (p: Point) => boolean;
/** The error the stand-in turns into `{"status":{"error":message}}` with HTTP status `code`. */
export interface ApiErrLike {
  code: number;
  message: string;
}
export interface PathSeg {
  name: string;
  index: number | null;
}
export type PayloadSelection = boolean | { include: string[] } | { exclude: string[] };
export type VectorSelection = boolean | string[];
export interface VectorParams {
  size: number;
  distance: string;
  [k: string]: unknown;
}
/** The part of a stand-in Collection that the pure functions read. */
export interface CollectionLike {
  meta: { config: { params: { vectors: VectorParams | Record<string, VectorParams> } } };
  points: Map<string, Point>;
  seq: number;
  sorted: Point[] | null;
  sortedPoints(): Point[];
}
export interface ScoredPoint {
  id: number | string;
  version: number;
  score: number;
  payload: Record<string, unknown> | null;
  vector: unknown;
}

export interface FiltersModule {
  compileFilter(f: unknown, where?: string): Predicate | null;
}
export interface IdsModule {
  normUuid(s: string): string | null;
  parseId(v: unknown): number | string;
  keyOf(id: number | string): string;
  cmpId(a: number | string, b: number | string): number;
}
export interface PayloadModule {
  parsePath(key: string): PathSeg[];
  rawValues(payload: unknown, segs: PathSeg[]): unknown[];
  flatValues(raw: unknown[]): unknown[];
  deletePath(obj: unknown, key: string): void;
  parseWithPayload(v: unknown, dflt: PayloadSelection): PayloadSelection;
  selectPayload(payload: Record<string, unknown>, sel: PayloadSelection): Record<string, unknown> | null;
  valueFitsIndex(type: string, v: unknown): boolean;
}
export interface VectorsModule {
  parsePointVector(col: CollectionLike, v: unknown, where: string, normalizeCosine?: boolean): unknown;
  score(distance: string, q: number[], v: number[]): number;
}
export interface ConfigModule {
  buildConfig(body: Record<string, unknown>): Record<string, unknown> & {
    params: Record<string, unknown>;
    hnsw_config: Record<string, unknown>;
  };
  validateCollectionName(name: unknown): void;
}
export interface SearchModule {
  runSearch(col: CollectionLike, body: unknown): ScoredPoint[];
  runQuery(col: CollectionLike, body: unknown): ScoredPoint[];
}
export interface PointOpsModule {
  parseUpsert(col: CollectionLike, body: unknown): { op: 'upsert'; points: Point[] };
  selectIds(col: CollectionLike, body: unknown): (number | string)[];
}
export interface CollectionModule {
  applyOp(col: CollectionLike, rec: Record<string, unknown>): void;
}

const LIB = new URL('../sandbox/images/qdrant-standin/lib/', import.meta.url);

export async function standin<T>(module: string): Promise<T> {
  return (await import(/* @vite-ignore */ new URL(module, LIB).href)) as T;
}

/** A collection as the stand-in keeps it in memory, from its vector params and points. */
export function collectionOf(
  vectors: VectorParams | Record<string, VectorParams>,
  points: Point[],
  keyOf: (id: number | string) => string,
  cmpId: (a: number | string, b: number | string) => number,
): CollectionLike {
  const col: CollectionLike = {
    meta: { config: { params: { vectors } } },
    points: new Map(points.map((p) => [keyOf(p.id), p])),
    seq: 7,
    sorted: null,
    sortedPoints() {
      if (!this.sorted) this.sorted = [...this.points.values()].sort((a, b) => cmpId(a.id, b.id));
      return this.sorted;
    },
  };
  return col;
}

/** The ApiErr a call throws (code and Qdrant's text), or fails the test when it does not throw. */
export function apiError(fn: () => unknown): ApiErrLike {
  try {
    fn();
  } catch (e) {
    const err = e as ApiErrLike;
    return { code: err.code, message: err.message };
  }
  throw new Error('expected an ApiErr');
}
