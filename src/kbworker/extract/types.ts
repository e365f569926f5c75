/** The shapes the knowledge-base worker's extraction and chunking produce (no I/O here). */

export type DocType = 'pdf' | 'docx' | 'txt' | 'md';

/** A run of text under one heading path (and, for PDFs, on one page); paragraphs are separated by a blank line. */
export interface Section {
  text: string;
  /** 1-based page number (PDFs only). */
  page?: number;
  /** The heading path, outermost first, e.g. ['Доставка', 'По Алматы']; [] before the first heading. */
  headings: string[];
}

export interface Extracted {
  type: DocType;
  sections: Section[];
  /** Page count (PDFs only). */
  pages?: number;
  /** The encoding detected (txt/md), e.g. 'utf-8', 'windows-1251', 'koi8-r', 'utf-16le'. */
  encoding?: string;
  warnings: string[];
}

export interface Chunk {
  index: number;
  /** The heading path line («Доставка › По Алматы»), then the text. */
  content: string;
  tokenCount: number;
  page?: number;
  pageEnd?: number;
  /** The heading path where the chunk starts. */
  headings: string[];
  /** Offset of the chunk's first own (non-overlap) text in the sections' texts joined by a blank line. */
  charStart?: number;
}

export type ExtractErrorCode =
  'unsupported-type' | 'needs-ocr' | 'empty' | 'corrupt' | 'encrypted' | 'too-large';

export class ExtractError extends Error {
  override readonly name = 'ExtractError';
  constructor(
    readonly code: ExtractErrorCode,
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

/** Inputs larger than this are refused ('too-large'). */
export const MAX_INPUT_BYTES = 50 * 1024 * 1024;

/** The separator of a heading path in a chunk's first line. */
export const HEADING_SEPARATOR = ' › ';
