import { detectType } from './detect';
import { docxSections } from './docx';
import { decodeText } from './encoding';
import { markdownSections } from './markdown';
import { pdfSections } from './pdf';
import { assessText } from './quality';
import { textSections } from './text';
import { ExtractError, MAX_INPUT_BYTES, type Extracted, type Section } from './types';

/** Extraction for the knowledge-base worker: bytes of a PDF, DOCX, TXT or Markdown file into Sections. */

export { chunk, type ChunkOptions } from './chunk';
export { detectType } from './detect';
export { sha256Hex } from './hash';
export { assessText, type TextQuality } from './quality';
export { countTokens, encodingFor } from './tokens';
export * from './types';

export async function extract(bytes: Uint8Array, filename: string): Promise<Extracted> {
  if (bytes.byteLength > MAX_INPUT_BYTES) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    throw new ExtractError(
      'too-large',
      `${filename} is ${mb(bytes.byteLength)}; the limit is ${mb(MAX_INPUT_BYTES)}`,
    );
  }
  if (bytes.byteLength === 0) throw new ExtractError('empty', `${filename} is an empty file`);
  const type = detectType(filename, bytes);
  let result: Extracted;
  switch (type) {
    case 'pdf': {
      const { sections, pages, warnings } = await pdfSections(bytes);
      result = { type, sections, pages, warnings };
      break;
    }
    case 'docx': {
      const { sections, warnings } = await docxSections(bytes);
      result = { type, sections, warnings };
      break;
    }
    case 'txt':
    case 'md': {
      const { text, encoding } = decodeText(bytes);
      if (text.includes('\u0000')) throw new ExtractError('corrupt', `${filename} is binary, not text`);
      const sections = type === 'md' ? markdownSections(text) : textSections(text);
      result = { type, sections, encoding, warnings: [] };
      break;
    }
  }
  if (!result.sections.some((s) => s.text.trim() !== '')) {
    throw new ExtractError('empty', `${filename} has no text`);
  }
  if (type !== 'pdf') {
    // A PDF's text was judged already (garbage there means OCR); here garbage means a broken file.
    const quality = assessText(joined(result.sections));
    if (!quality.ok)
      throw new ExtractError('corrupt', `the text of ${filename} is garbage: ${quality.reason}`);
  }
  return result;
}

function joined(sections: Section[]): string {
  return sections.map((s) => s.text).join('\n\n');
}
