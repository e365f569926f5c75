import type { KbDocumentView, KbJobView, KbList } from '../../src/shared/contract';

/** A knowledge-base job as the worker reports it, with the fields a test changes. */
export function job(over: Partial<KbJobView> = {}): KbJobView {
  return {
    id: 'job-1',
    tenant: 'acme',
    kind: 'ingest',
    filename: 'prices.pdf',
    type: 'pdf',
    sizeBytes: 1000,
    sha256: 'a'.repeat(64),
    uploadedBy: 'op@console',
    createdAt: '2026-12-06T10:00:00.000Z',
    updatedAt: '2026-12-06T10:00:00.000Z',
    phase: 'queued',
    done: 0,
    total: 0,
    documentId: null,
    chunkCount: null,
    pages: null,
    encoding: null,
    duplicateOf: null,
    embeddingCalls: 0,
    retries: 0,
    attempts: 0,
    warnings: [],
    error: null,
    ...over,
  };
}

export const DOC_A = '11111111-1111-4111-8111-111111111111';
export const DOC_B = '22222222-2222-4222-8222-222222222222';

export function doc(over: Partial<KbDocumentView> = {}): KbDocumentView {
  return {
    id: DOC_A,
    filename: 'prices.pdf',
    type: 'pdf',
    sizeBytes: 1000,
    sha256: 'a'.repeat(64),
    status: 'ready',
    error: null,
    chunkCount: 12,
    pages: 3,
    uploadedBy: 'op@console',
    embeddingModel: 'text-embedding-3-small',
    createdAt: '2026-12-06T09:00:00.000Z',
    updatedAt: '2026-12-06T09:00:00.000Z',
    ...over,
  };
}

export function kbList(documents: KbDocumentView[] = [doc()], jobs: KbJobView[] = []): KbList {
  return {
    host: 'h1',
    summary: {
      tenant: 'acme',
      documents: documents.length,
      ready: documents.filter((d) => d.status === 'ready').length,
      processing: documents.filter((d) => d.status === 'processing').length,
      error: documents.filter((d) => d.status === 'error').length,
      chunks: documents.reduce((n, d) => n + d.chunkCount, 0),
      points: documents.reduce((n, d) => n + d.chunkCount, 0),
      embeddingModel: 'text-embedding-3-small',
      dimensions: 1536,
    },
    documents,
    jobs,
  };
}
