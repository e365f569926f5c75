/*
 * Settings of the Qdrant stand-in: the same environment variables as Qdrant's where they exist,
 * read once at start, and the log lines every module writes.
 */

import path from 'node:path';

export const VERSION = '1.13.6-standin';
export const TITLE = 'qdrant - vector search engine';
const env = process.env;
const CWD = process.cwd();
const abs = (p) => (path.isAbsolute(p) ? p : path.resolve(CWD, p));
export const STORAGE = abs(env.QDRANT__STORAGE__STORAGE_PATH || './storage');
export const SNAPSHOTS = abs(env.QDRANT__STORAGE__SNAPSHOTS_PATH || './snapshots');
export const HOST = env.QDRANT__SERVICE__HOST || '0.0.0.0';
export const PORT = Number(env.QDRANT__SERVICE__HTTP_PORT || 6333);
export const API_KEY = env.QDRANT__SERVICE__API_KEY || '';
export const MAX_REQUEST_BYTES = Math.floor(
  Number(env.QDRANT__SERVICE__MAX_REQUEST_SIZE_MB || 32) * 1024 * 1024,
);
export const COLLECTIONS_DIR = path.join(STORAGE, 'collections');
export const STAGING_DIR = path.join(STORAGE, '.standin-tmp');
export const UPLOAD_DIR = path.join(SNAPSHOTS, '.standin-upload');
/** The WAL is folded into the base image once it is larger than this and than the base. */
export const WAL_COMPACT_MIN_BYTES = 8 * 1024 * 1024;
export const SNAPSHOT_MAGIC = 'QDRANT-STANDIN-SNAPSHOT v1';
export const DISTANCES = ['Cosine', 'Euclid', 'Dot', 'Manhattan'];
export const INDEX_TYPES = ['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'];
export const PRIORITIES = ['no_sync', 'snapshot', 'replica'];

export function log(...args) {
  console.log(new Date().toISOString(), 'INFO qdrant-standin:', ...args);
}
export function logError(...args) {
  console.error(new Date().toISOString(), 'ERROR qdrant-standin:', ...args);
}
