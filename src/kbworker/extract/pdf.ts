import { getDocumentProxy } from 'unpdf';
import { assessText, countLetters, MIN_LETTERS_PER_PAGE } from './quality';
import { dropRunningLines, headingLevels, pageLines, paragraphs, type PdfTextItem } from './pdflayout';
import { SectionBuilder } from './sections';
import { ExtractError, type Section } from './types';

/** A PDF's text with unpdf (pdf.js): a Section per page and heading path; scans and garbage need OCR. */

export interface PdfResult {
  sections: Section[];
  pages: number;
  warnings: string[];
}

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>;

async function open(bytes: Uint8Array): Promise<PdfDocument> {
  try {
    // A copy: pdf.js may take the buffer it is given.
    return await getDocumentProxy(new Uint8Array(bytes), {
      verbosity: 0,
      isEvalSupported: false,
      useSystemFonts: false,
      disableFontFace: true,
      stopAtErrors: false,
    });
  } catch (e) {
    const err = e as Error;
    if (err?.name === 'PasswordException')
      throw new ExtractError('encrypted', 'the PDF is password-protected');
    throw new ExtractError('corrupt', `the PDF cannot be read: ${err?.message ?? String(e)}`);
  }
}

function pageList(pages: number[]): string {
  const shown = pages.slice(0, 10).join(', ');
  return pages.length > 10 ? `${shown} and ${pages.length - 10} more` : shown;
}

export async function pdfSections(bytes: Uint8Array): Promise<PdfResult> {
  const doc = await open(bytes);
  try {
    const numPages = doc.numPages;
    const lines = [];
    for (let n = 1; n <= numPages; n++) {
      try {
        const page = await doc.getPage(n);
        const content = await page.getTextContent();
        lines.push(pageLines(content.items.filter((it): it is PdfTextItem & typeof it => 'str' in it)));
        page.cleanup();
      } catch (e) {
        throw new ExtractError('corrupt', `page ${n} of the PDF cannot be read: ${(e as Error).message}`);
      }
    }
    const pages = dropRunningLines(lines).map(paragraphs);
    const letters = pages.map((ps) => ps.reduce((sum, p) => sum + countLetters(p.text), 0));
    const total = letters.reduce((a, b) => a + b, 0);
    if (numPages > 0 && total / numPages < MIN_LETTERS_PER_PAGE) {
      throw new ExtractError(
        'needs-ocr',
        `the PDF has almost no text (${total} letters on ${numPages} page(s)): it is a scan or drawings without a text layer; run OCR on it first`,
      );
    }
    const all = pages.map((ps) => ps.map((p) => p.text).join('\n')).join('\n');
    const quality = assessText(all);
    if (!quality.ok)
      throw new ExtractError('needs-ocr', `the PDF's text is garbage: ${quality.reason}; run OCR on it`);

    const warnings: string[] = [];
    const textless = letters.flatMap((n, i) => (n < MIN_LETTERS_PER_PAGE ? [i + 1] : []));
    if (textless.length > 0) warnings.push(`pages without text (scanned?): ${pageList(textless)}`);
    const level = headingLevels(pages);
    const out = new SectionBuilder();
    pages.forEach((ps, i) => {
      for (const p of ps) {
        const l = level(p);
        if (l === undefined) out.paragraph(p.text, i + 1);
        else out.heading(l, p.text);
      }
    });
    return { sections: out.done(), pages: numPages, warnings };
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}
