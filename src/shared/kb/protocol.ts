/**
 * The knowledge-base worker's door (truffles-kb, src/kbworker): its methods, streams and the
 * shapes they carry, shared with the console's client (src/main/core/kb). Frames, hello and
 * errors are the host agent's protocol (src/shared/agent/protocol.ts); only the door differs:
 * `<stateDir>/kb/run/kb.sock`.
 *
 * Plain types and constants: no dependency.
 */

export const KB_PROTOCOL = 1;
export const KB_VERSION = '1.0.0';

/** What the worker can read: the types of the extraction library (src/kbworker/extract). */
export type KbDocType = 'pdf' | 'docx' | 'txt' | 'md';
export const KB_EXTENSIONS: Record<string, KbDocType> = {
  pdf: 'pdf',
  docx: 'docx',
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
};
/** The largest file the console uploads (and the worker reads). */
export const KB_MAX_FILE_BYTES = 50 * 1024 * 1024;

/**
 * A job's phase: queued → extracting → chunking → embedding (k/n chunks) → indexing (k/n
 * points) → done, or error / cancelled. `deleting` is a delete job's only phase.
 */
export type KbPhase =
  | 'queued'
  | 'extracting'
  | 'chunking'
  | 'embedding'
  | 'indexing'
  | 'deleting'
  | 'done'
  | 'error'
  | 'cancelled';

export const KB_FINAL_PHASES: readonly KbPhase[] = ['done', 'error', 'cancelled'];

export type KbErrorCode =
  | 'unsupported-type'
  | 'needs-ocr'
  | 'empty'
  | 'corrupt'
  | 'encrypted'
  | 'too-large'
  | 'llm-unreachable'
  | 'llm-refused'
  | 'llm-rate-limited'
  | 'llm-not-configured'
  | 'qdrant'
  | 'database'
  | 'tenant'
  | 'interrupted'
  | 'internal';

export interface KbJob {
  id: string;
  tenant: string;
  kind: 'ingest' | 'reindex';
  filename: string;
  type: KbDocType | null;
  sizeBytes: number;
  /** sha256 (hex) of the file as uploaded: the dedup key. */
  sha256: string;
  uploadedBy: string;
  createdAt: string;
  updatedAt: string;
  phase: KbPhase;
  /** Chunks embedded or points written so far, of how many (embedding, indexing). */
  done: number;
  total: number;
  /** The document in the tenant's database, once registered. */
  documentId: string | null;
  chunkCount: number | null;
  pages: number | null;
  /** TXT/Markdown: the encoding it was read in. */
  encoding: string | null;
  /** The same file is already in the base: this job reused that document (no embedding call). */
  duplicateOf: string | null;
  embeddingCalls: number;
  /** 429 and 5xx answers retried so far. */
  retries: number;
  attempts: number;
  warnings: string[];
  error: { code: KbErrorCode; message: string } | null;
}

export type KbDocStatus = 'processing' | 'ready' | 'error';

export interface KbDocument {
  id: string;
  filename: string;
  type: string | null;
  sizeBytes: number | null;
  sha256: string | null;
  status: KbDocStatus;
  error: string | null;
  chunkCount: number;
  pages: number | null;
  uploadedBy: string | null;
  embeddingModel: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface KbChunk {
  id: string;
  index: number;
  content: string;
  tokenCount: number | null;
  page: number | null;
  pageEnd: number | null;
  headings: string[];
  /** Its point is in Qdrant (vector_id set). */
  indexed: boolean;
}

export interface KbHit {
  score: number;
  documentId: string;
  filename: string;
  chunkIndex: number;
  content: string;
  page: number | null;
  headings: string[];
}

export interface KbSearchResult {
  query: string;
  model: string;
  topK: number;
  minScore: number;
  hits: KbHit[];
  embeddingTokens: number;
  tookMs: number;
}

export interface KbAnswer {
  question: string;
  reply: string | null;
  intent: string | null;
  model: string | null;
  escalated: boolean;
  sources: Array<{ n: number; documentId: string | null; filename: string | null; score: number | null }>;
  /** Sum of the billing rows of this exchange (null: a model without a price). */
  costUsd: string | null;
  calls: Array<{
    stage: string;
    model: string;
    inputTokens: number;
    outputTokens: number;
    costUsd: string | null;
  }>;
  conversationId: string | null;
  tookMs: number;
}

/** How the worker sees a tenant's base: documents by status and the collection's point count. */
export interface KbSummary {
  tenant: string;
  documents: number;
  ready: number;
  processing: number;
  error: number;
  chunks: number;
  points: number | null;
  embeddingModel: string;
  dimensions: number;
}

export interface KbWorkerStatus {
  version: string;
  protocol: number;
  startedAt: string;
  rssBytes: number;
  running: number;
  queued: number;
  concurrency: number;
}

/** Method → params and result. */
export interface KbMethods {
  'kb.status': { params: Record<string, never>; result: KbWorkerStatus };
  /**
   * Queue a file already uploaded into `<stateDir>/kb/<tenant>/incoming/<upload>`: the worker
   * checks its size and sha256 against what the console sent, then owns it.
   */
  'kb.enqueue': {
    params: {
      tenant: string;
      upload: string;
      filename: string;
      sizeBytes: number;
      sha256: string;
      uploadedBy: string;
    };
    result: KbJob;
  };
  'kb.jobs': { params: { tenant?: string }; result: KbJob[] };
  'kb.cancel': { params: { tenant: string; job: string }; result: KbJob };
  'kb.documents': { params: { tenant: string }; result: { summary: KbSummary; documents: KbDocument[] } };
  'kb.chunks': {
    params: { tenant: string; document: string; offset?: number; limit?: number };
    result: { document: KbDocument; total: number; chunks: KbChunk[] };
  };
  'kb.delete': {
    params: { tenant: string; document: string; by: string };
    result: { document: string; chunks: number; points: number };
  };
  /** Re-embed one document, or every document of the tenant (e.g. after the embedding model changed). */
  'kb.reindex': { params: { tenant: string; document?: string; by: string }; result: KbJob[] };
  'kb.search': {
    params: { tenant: string; query: string; topK?: number; minScore?: number };
    result: KbSearchResult;
  };
  'kb.ask': { params: { tenant: string; question: string; phone?: string }; result: KbAnswer };
}

export interface KbStreams {
  /** Every change of a job (phase, progress), at most every 250 ms per job; first the jobs known. */
  'kb.watch': { params: { tenant?: string }; event: { jobs: KbJob[] } };
}
