import mammoth from 'mammoth';
import { indexOfAscii, startsWith } from './detect';
import { SectionBuilder } from './sections';
import { ExtractError, type Section } from './types';

/**
 * DOCX into Sections: mammoth's HTML (h1–h6, p, ul/ol/li, table/tr/td, strong/em/a, br, img), walked with a
 * regex tokenizer — its HTML is simple and regular. Tables become one row per line, cells separated by « | ».
 */

export interface DocxResult {
  sections: Section[];
  warnings: string[];
}

const ENTITY = /&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|nbsp);/gi;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(ENTITY, (_, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return NAMED[lower] ?? '';
  });
}

/** Sections from mammoth's HTML. */
export function htmlSections(html: string): { sections: Section[]; images: number } {
  const out = new SectionBuilder();
  let text = ''; // the current block's text (paragraph, heading, list item or cell)
  let heading = 0;
  const lists: { ordered: boolean; n: number }[] = [];
  let row: string[] | undefined;
  let table: string[] | undefined;
  let images = 0;
  const flushText = () => {
    const t = text;
    text = '';
    return t.replace(/[ \t]*\n[ \t]*/g, '\n').trim();
  };
  const flushBlock = () => {
    const t = flushText();
    if (!t) return;
    if (row) row.push(t.replace(/\n+/g, ' '));
    else if (lists.length > 0) {
      const list = lists[lists.length - 1];
      const marker = list?.ordered ? `${++list.n}.` : '-';
      out.paragraph(`${'  '.repeat(lists.length - 1)}${marker} ${t}`);
    } else out.paragraph(t);
  };
  for (const m of html.matchAll(/<(\/?)([a-zA-Z0-9]+)[^>]*?(\/?)>|([^<]+)/g)) {
    const [, closing, rawTag, , content] = m;
    if (content !== undefined) {
      text += decodeEntities(content);
      continue;
    }
    const tag = (rawTag ?? '').toLowerCase();
    const open = closing !== '/';
    if (/^h[1-6]$/.test(tag)) {
      if (open) {
        flushBlock();
        heading = Number(tag[1]);
      } else {
        const t = flushText();
        if (row) row.push(t);
        else out.heading(heading, t.replace(/\n+/g, ' '));
        heading = 0;
      }
    } else if (tag === 'p' || tag === 'li') {
      if (row && tag === 'p') {
        if (!open) text += '\n'; // paragraphs inside a cell stay in the cell
      } else flushBlock();
    } else if (tag === 'ul' || tag === 'ol') {
      flushBlock();
      if (open) lists.push({ ordered: tag === 'ol', n: 0 });
      else lists.pop();
    } else if (tag === 'table') {
      flushBlock();
      if (open) table = [];
      else {
        if (table && table.length > 0) out.paragraph(table.join('\n'));
        table = undefined;
      }
    } else if (tag === 'tr') {
      if (open) row = [];
      else {
        if (row && row.some((c) => c !== '')) table?.push(row.join(' | '));
        row = undefined;
      }
    } else if (tag === 'td' || tag === 'th') {
      if (!open && row) row.push(flushText().replace(/\n+/g, ' '));
      else if (open) text = '';
    } else if (tag === 'br') {
      text += '\n';
    } else if (tag === 'img') {
      images++;
    }
  }
  flushBlock();
  return { sections: out.done(), images };
}

function encryptedOrOld(bytes: Uint8Array): ExtractError {
  // An encrypted OOXML file is an OLE container with an "EncryptionInfo" stream (its name in UTF-16LE).
  const name = 'E\0n\0c\0r\0y\0p\0t\0i\0o\0n\0I\0n\0f\0o';
  return indexOfAscii(bytes, name) !== -1
    ? new ExtractError('encrypted', 'the Word document is password-protected')
    : new ExtractError('unsupported-type', 'an old binary Word document (.doc); save it as .docx or PDF');
}

export async function docxSections(bytes: Uint8Array): Promise<DocxResult> {
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0])) throw encryptedOrOld(bytes);
  let result: { value: string; messages: { type: string; message: string }[] };
  try {
    result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: '' })),
        externalFileAccess: false,
      },
    );
  } catch (e) {
    throw new ExtractError('corrupt', `the Word document cannot be read: ${(e as Error).message}`);
  }
  const { sections, images } = htmlSections(result.value);
  const warnings = [...new Set(result.messages.map((m) => `docx: ${m.message}`))].slice(0, 20);
  if (images > 0) warnings.push(`${images} image(s) skipped: text inside images is not extracted`);
  return { sections, warnings };
}
