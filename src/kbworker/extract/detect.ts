import { ExtractError, type DocType } from './types';

/** A document's type: by its magic bytes first, then by its name's extension. */

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // PK\3\4
const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]; // OLE2: .doc, encrypted Office files
const OTHER_MAGIC: [number[], string][] = [
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x47, 0x49, 0x46, 0x38], 'a GIF image'],
  [[0x7b, 0x5c, 0x72, 0x74, 0x66], 'an RTF document'],
];

const EXTENSIONS: Record<string, DocType> = {
  pdf: 'pdf',
  docx: 'docx',
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
};

export function startsWith(bytes: Uint8Array, magic: number[], at = 0): boolean {
  return magic.every((b, i) => bytes[at + i] === b);
}

/** Where an ASCII string occurs in bytes, or -1. */
export function indexOfAscii(bytes: Uint8Array, text: string, from = 0): number {
  const first = text.charCodeAt(0);
  outer: for (let i = bytes.indexOf(first, from); i !== -1; i = bytes.indexOf(first, i + 1)) {
    for (let j = 1; j < text.length; j++) if (bytes[i + j] !== text.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

function extensionOf(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

/**
 * The type of a document from its name and its first bytes (the whole file is best: a zip's list of files is at
 * its end). Throws ExtractError('unsupported-type') for anything else.
 */
export function detectType(filename: string, head: Uint8Array): DocType {
  const ext = extensionOf(filename);
  // PDF readers accept the header anywhere in the first KiB.
  const pdfAt = indexOfAscii(head.subarray(0, 1024), '%PDF-');
  if (pdfAt !== -1 && startsWith(head, PDF_MAGIC, pdfAt)) return 'pdf';
  if (startsWith(head, ZIP_MAGIC)) {
    if (indexOfAscii(head, 'word/document.xml') !== -1 || ext === 'docx') return 'docx';
    throw new ExtractError('unsupported-type', `${filename}: a zip archive, not a Word (.docx) document`);
  }
  if (startsWith(head, CFB_MAGIC)) {
    // Password-protected .docx files are OLE containers; the DOCX reader tells them from old .doc files.
    if (ext === 'docx') return 'docx';
    throw new ExtractError(
      'unsupported-type',
      `${filename}: an old binary Office document (.doc/.xls); save it as .docx or PDF`,
    );
  }
  for (const [magic, what] of OTHER_MAGIC) {
    if (startsWith(head, magic)) throw new ExtractError('unsupported-type', `${filename}: ${what}`);
  }
  const byExt = EXTENSIONS[ext];
  if (byExt) return byExt;
  throw new ExtractError(
    'unsupported-type',
    `${filename}: ${ext ? `.${ext} files are` : 'a file without an extension is'} not supported (PDF, DOCX, TXT, Markdown)`,
  );
}
