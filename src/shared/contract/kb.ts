/**
 * Knowledge bases (issue 15): a tenant's documents, their indexing on the host, what the bot
 * retrieves for a question and what it answers. The work runs on the host's knowledge-base
 * worker (src/kbworker); the schemas mirror src/shared/kb/protocol.ts, and what a worker answers
 * is checked against them before the console uses it.
 */
import { z } from 'zod';
import { KB_MAX_FILE_BYTES } from '../kb/protocol';
import { defineSlice, HostNameSchema } from './kernel';
import { SlugSchema } from './tenants';

const Phase = z.enum([
  'queued',
  'extracting',
  'chunking',
  'embedding',
  'indexing',
  'deleting',
  'done',
  'error',
  'cancelled',
]);
const DocType = z.enum(['pdf', 'docx', 'txt', 'md']);
const Id = z.string().min(1).max(100);
const DocId = z
  .string()
  .max(36)
  .regex(/^[0-9a-f-]{36}$/i, 'A document id is a UUID.');
const Sha = z.string().max(64);

export const KbJobSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  kind: z.enum(['ingest', 'reindex']),
  filename: z.string(),
  type: DocType.nullable(),
  sizeBytes: z.number().nonnegative(),
  sha256: Sha,
  uploadedBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  phase: Phase,
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  documentId: z.string().nullable(),
  chunkCount: z.number().int().nullable(),
  pages: z.number().int().nullable(),
  encoding: z.string().nullable(),
  duplicateOf: z.string().nullable(),
  embeddingCalls: z.number().int().nonnegative(),
  retries: z.number().int().nonnegative(),
  attempts: z.number().int().nonnegative(),
  warnings: z.array(z.string()),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type KbJobView = z.infer<typeof KbJobSchema>;

export const KbDocumentSchema = z.object({
  id: z.string(),
  filename: z.string(),
  type: z.string().nullable(),
  sizeBytes: z.number().nullable(),
  sha256: z.string().nullable(),
  status: z.enum(['processing', 'ready', 'error']),
  error: z.string().nullable(),
  chunkCount: z.number().int(),
  pages: z.number().int().nullable(),
  uploadedBy: z.string().nullable(),
  embeddingModel: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type KbDocumentView = z.infer<typeof KbDocumentSchema>;

export const KbSummarySchema = z.object({
  tenant: z.string(),
  documents: z.number().int(),
  ready: z.number().int(),
  processing: z.number().int(),
  error: z.number().int(),
  chunks: z.number().int(),
  points: z.number().int().nullable(),
  embeddingModel: z.string(),
  dimensions: z.number().int(),
});

export const KbListSchema = z.object({
  host: z.string(),
  summary: KbSummarySchema,
  documents: z.array(KbDocumentSchema),
  jobs: z.array(KbJobSchema),
});
export type KbList = z.infer<typeof KbListSchema>;

export const KbChunkSchema = z.object({
  id: z.string(),
  index: z.number().int(),
  content: z.string(),
  tokenCount: z.number().int().nullable(),
  page: z.number().int().nullable(),
  pageEnd: z.number().int().nullable(),
  headings: z.array(z.string()),
  indexed: z.boolean(),
});

export const KbSearchSchema = z.object({
  query: z.string(),
  model: z.string(),
  topK: z.number().int(),
  minScore: z.number(),
  hits: z.array(
    z.object({
      score: z.number(),
      documentId: z.string(),
      filename: z.string(),
      chunkIndex: z.number().int(),
      content: z.string(),
      page: z.number().int().nullable(),
      headings: z.array(z.string()),
    }),
  ),
  embeddingTokens: z.number().int(),
  tookMs: z.number(),
});
export type KbSearchView = z.infer<typeof KbSearchSchema>;

export const KbAnswerSchema = z.object({
  question: z.string(),
  reply: z.string().nullable(),
  intent: z.string().nullable(),
  model: z.string().nullable(),
  escalated: z.boolean(),
  sources: z.array(
    z.object({
      n: z.number(),
      documentId: z.string().nullable(),
      filename: z.string().nullable(),
      score: z.number().nullable(),
    }),
  ),
  costUsd: z.string().nullable(),
  calls: z.array(
    z.object({
      stage: z.string(),
      model: z.string(),
      inputTokens: z.number().int(),
      outputTokens: z.number().int(),
      costUsd: z.string().nullable(),
    }),
  ),
  conversationId: z.string().nullable(),
  tookMs: z.number(),
});
export type KbAnswerView = z.infer<typeof KbAnswerSchema>;

const Tenant = { slug: SlugSchema, host: HostNameSchema.optional() };
const FileName = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[/\\\0]/.test(n), 'A file name has no slashes.');

export const kbSlice = defineSlice('kb', {
  /** A tenant's documents (status, chunks, who uploaded them), the recent jobs and the base's totals. */
  'kb.list': { effect: 'read', input: z.object(Tenant).strict(), output: KbListSchema },
  /** Upload files from this machine's disk (the CLI): each is streamed to the host, then queued. */
  'kb.upload': {
    effect: 'write',
    input: z.object({ ...Tenant, paths: z.array(z.string().min(1).max(4096)).min(1).max(100) }).strict(),
    output: z.array(KbJobSchema),
  },
  /** Start an upload whose bytes come in parts (`kb.upload.part`), ended by `kb.upload.close`. */
  'kb.upload.open': {
    effect: 'write',
    input: z
      .object({ ...Tenant, filename: FileName, sizeBytes: z.number().int().min(1).max(KB_MAX_FILE_BYTES) })
      .strict(),
    output: z.object({ id: z.string(), host: z.string() }),
  },
  'kb.upload.part': {
    effect: 'write',
    input: z
      .object({ id: Id, offset: z.number().int().nonnegative(), data: z.string().max(6 * 1024 * 1024) })
      .strict(),
    output: z.object({ received: z.number().int() }),
  },
  'kb.upload.close': {
    effect: 'write',
    input: z
      .object({
        id: Id,
        sha256: z
          .string()
          .max(64)
          .regex(/^[0-9a-f]{64}$/i)
          .optional(),
      })
      .strict(),
    output: KbJobSchema,
  },
  'kb.upload.abort': {
    effect: 'write',
    input: z.object({ id: Id }).strict(),
    output: z.object({ aborted: z.boolean() }),
  },
  /** Stop a queued or running job; a new document it had started is removed. */
  'kb.cancel': { effect: 'write', input: z.object({ ...Tenant, job: Id }).strict(), output: KbJobSchema },
  /** Delete a document: its rows and its vectors. */
  'kb.delete': {
    effect: 'danger',
    input: z.object({ ...Tenant, document: DocId }).strict(),
    output: z.object({ document: z.string(), chunks: z.number().int(), points: z.number().int() }),
  },
  /** Embed again one document, or all (e.g. after the embedding model changed). */
  'kb.reindex': {
    effect: 'write',
    input: z.object({ ...Tenant, document: DocId.optional() }).strict(),
    output: z.array(KbJobSchema),
  },
  'kb.chunks': {
    effect: 'read',
    input: z
      .object({
        ...Tenant,
        document: DocId,
        offset: z.number().int().nonnegative().default(0),
        limit: z.number().int().min(1).max(500).default(100),
      })
      .strict(),
    output: z.object({ document: KbDocumentSchema, total: z.number().int(), chunks: z.array(KbChunkSchema) }),
  },
  /** What the bot would retrieve for a question: its embedding model, collection, top_k and min_score. */
  'kb.search': {
    effect: 'read',
    input: z
      .object({
        ...Tenant,
        query: z.string().trim().min(1).max(4096),
        topK: z.number().int().min(1).max(50).optional(),
        minScore: z.number().min(-1).max(1).optional(),
      })
      .strict(),
    output: KbSearchSchema,
  },
  /** Ask the tenant's bot through its real chat/message webhook (a test customer of the console's). */
  'kb.ask': {
    effect: 'write',
    input: z.object({ ...Tenant, question: z.string().trim().min(1).max(4096) }).strict(),
    output: KbAnswerSchema,
  },
  /** Follow a tenant's jobs: `kb.progress` events until `kb.unwatch` or the window closes. */
  'kb.watch': { effect: 'read', input: z.object(Tenant).strict(), output: z.object({ watchId: z.string() }) },
  'kb.unwatch': {
    effect: 'read',
    input: z.object({ watchId: Id }).strict(),
    output: z.object({ removed: z.boolean() }),
  },
});
