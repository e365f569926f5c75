import iconv from 'iconv-lite';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  detectType,
  extract,
  ExtractError,
  MAX_INPUT_BYTES,
  sha256Hex,
  type Extracted,
} from '../../src/kbworker/extract/index';
import {
  cp1251Txt,
  docxFile,
  koi8rTxt,
  RUNNING_HEADER,
  russianBusinessText,
  russianPdf,
  scannedPdf,
} from '../helpers/kb-fixtures';

/** Extraction of PDF, DOCX, TXT and Markdown into sections, and its refusals. */

async function refusal(p: Promise<unknown>): Promise<ExtractError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ExtractError);
  return e as ExtractError;
}

const RU =
  'Доставка по Алматы осуществляется ежедневно, включая субботу и воскресенье. Курьер привезёт заказ в день ' +
  'оформления, если он сделан до двух часов дня. Оплата картой или наличными при получении; возврат товара ' +
  'возможен в течение четырнадцати дней с сохранением чека. Ёлки, съёмка и объявление - редкие буквы тоже.';

describe('PDF', () => {
  let pdf: Extracted;
  let ms = 0;
  beforeAll(async () => {
    const bytes = await russianPdf({ pages: 100 });
    const t0 = performance.now();
    pdf = await extract(bytes, 'Регламент.pdf');
    ms = performance.now() - t0;
    console.log(`100-page PDF (${(bytes.length / 1024).toFixed(0)} KiB): extracted in ${ms.toFixed(0)} ms`);
  });

  it('extracts all 100 pages with their Cyrillic text, page by page, under their heading paths', () => {
    expect(pdf.type).toBe('pdf');
    expect(pdf.pages).toBe(100);
    expect(pdf.warnings).toEqual([]);
    expect(new Set(pdf.sections.map((s) => s.page))).toEqual(
      new Set(Array.from({ length: 100 }, (_, i) => i + 1)),
    );
    const first = pdf.sections[0]!;
    expect(first).toMatchObject({ page: 1, headings: ['1. Общие положения', '1.1. Порядок работы'] });
    expect(first.text).toMatch(/^Доставка по Алматы осуществляется ежедневно, включая субботу\./);
    expect(first.text).toContain('Оператор колл-центра'); // a hyphen at a line's end stays
    const last = pdf.sections[pdf.sections.length - 1]!;
    expect(last).toMatchObject({
      page: 100,
      headings: ['10. Контакты и реквизиты', '10.5. Ответственность сторон'],
    });
    expect(last.text).toContain('Біз сізге көмектесеміз: қоңырау шалыңыз, әрқашан қуаныштымыз.');
  });

  it('keeps every paragraph whole, in its own paragraph, and drops the running header and page numbers', () => {
    const model = russianBusinessText(100);
    const byPage = new Map<number, string[]>();
    for (const s of pdf.sections)
      byPage.set(s.page!, [...(byPage.get(s.page!) ?? []), ...s.text.split('\n\n')]);
    for (const p of model) expect(byPage.get(p.page), `page ${p.page}`).toEqual(p.paragraphs);
    const all = pdf.sections.map((s) => s.text).join('\n');
    expect(all).not.toContain(RUNNING_HEADER);
    expect(all).not.toMatch(/— \d+ —/);
  });

  it('refuses a scan without a text layer as needs-ocr', async () => {
    const e = await refusal(extract(await scannedPdf(), 'scan.pdf'));
    expect(e.code).toBe('needs-ocr');
    expect(e.detail).toMatch(/no text|OCR/);
  });

  it('refuses a password-protected PDF as encrypted, and a broken one as corrupt', async () => {
    const locked = await russianPdf({ pages: 1, userPassword: 'secret' });
    expect((await refusal(extract(locked, 'locked.pdf'))).code).toBe('encrypted');
    const good = await russianPdf({ pages: 1 });
    const broken = Buffer.concat([good.subarray(0, 40), Buffer.alloc(2000, 0x20)]);
    expect((await refusal(extract(broken, 'broken.pdf'))).code).toBe('corrupt');
  });
});

describe('DOCX', () => {
  it('keeps heading paths, paragraphs and table rows with « | » between cells', async () => {
    const r = await extract(await docxFile(), 'Доставка.docx');
    expect(r.type).toBe('docx');
    expect(r.sections).toEqual([
      { headings: ['Доставка'], text: 'Мы доставляем заказы по всему Казахстану.' },
      {
        headings: ['Доставка', 'По Алматы'],
        text:
          'Курьер привезёт заказ в день оформления, если он сделан до 14:00.\n\nДоставка бесплатна от 20 000 ₸.\n\n' +
          'Район | Срок | Цена\nМедеуский | 2 часа | 1 500 ₸\nАлатауский | 4 часа | 2 000 ₸',
      },
      { headings: ['Оплата'], text: 'Принимаем Kaspi, карты и безналичный расчёт.' },
    ]);
  });

  it('refuses a broken DOCX as corrupt and an empty one as empty', async () => {
    const broken = Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(100, 1)]);
    expect((await refusal(extract(broken, 'x.docx'))).code).toBe('corrupt');
    const empty = await docxFile([{ heading: '' }]);
    expect((await refusal(extract(empty, 'empty.docx'))).code).toBe('empty');
  });
});

describe('TXT', () => {
  it.each([
    ['windows-1251', cp1251Txt(RU)],
    ['koi8-r', koi8rTxt(RU)],
    ['utf-16le', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(RU, 'utf-16le')])],
    ['utf-16le', iconv.encode(RU, 'utf-16le')], // without a BOM
    ['utf-16be', Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(RU, 'utf-16be')])],
    ['utf-8', Buffer.from(RU, 'utf8')],
    ['utf-8', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(RU, 'utf8')])],
  ])('decodes %s', async (encoding, bytes) => {
    const r = await extract(bytes, 'faq.txt');
    expect(r.encoding).toBe(encoding);
    expect(r.sections).toEqual([{ headings: [], text: RU }]);
  });

  it('tells the Russian single-byte encodings apart on short texts too', async () => {
    const short = 'Привет! Как оформить заказ и оплатить его картой?';
    for (const enc of ['windows-1251', 'koi8-r', 'iso-8859-5', 'ibm866']) {
      const r = await extract(iconv.encode(short, enc), 'q.txt');
      expect(r.sections[0]?.text, enc).toBe(short);
    }
  });

  it('splits paragraphs on blank lines and starts heading paths at heading-like lines', async () => {
    const text = [
      'ДОСТАВКА',
      '',
      '1. По Алматы',
      'Курьер привезёт заказ в день оформления.',
      '',
      'Бесплатно от 20 000 тг,',
      'иначе 1 500 тг.',
      '',
      '1.1. Срочная доставка',
      '',
      'За два часа, по тарифу такси.',
      '',
      'Оплата',
      '',
      'Картой или наличными.',
    ].join('\r\n');
    const r = await extract(cp1251Txt(text), 'faq.txt');
    expect(r.sections).toEqual([
      {
        headings: ['ДОСТАВКА', '1. По Алматы'],
        text: 'Курьер привезёт заказ в день оформления.\n\nБесплатно от 20 000 тг,\nиначе 1 500 тг.',
      },
      {
        headings: ['ДОСТАВКА', '1. По Алматы', '1.1. Срочная доставка'],
        text: 'За два часа, по тарифу такси.',
      },
      { headings: ['Оплата'], text: 'Картой или наличными.' },
    ]);
  });

  it('refuses an empty file, blank text and mojibake', async () => {
    expect((await refusal(extract(new Uint8Array(0), 'a.txt'))).code).toBe('empty');
    expect((await refusal(extract(Buffer.from(' \n\n \t\n'), 'a.txt'))).code).toBe('empty');
    const moji = Buffer.from(iconv.decode(cp1251Txt(RU), 'latin1'), 'utf8'); // «Äîñòàâêà» saved as UTF-8
    const e = await refusal(extract(moji, 'moji.txt'));
    expect(e.code).toBe('corrupt');
    expect(e.detail).toMatch(/Latin-1/);
  });
});

describe('Markdown', () => {
  it('builds heading paths and turns lists, tables, code and links into plain text', async () => {
    const md = [
      '# Доставка',
      '',
      'Мы доставляем **по всему** Казахстану, см. [тарифы](https://example.kz/t).',
      '',
      '## По Алматы',
      '',
      '- в день заказа',
      '- бесплатно от 20&nbsp;000 ₸',
      '',
      '| Район | Цена |',
      '|---|---|',
      '| Медеуский | 1 500 ₸ |',
      '',
      '```',
      'curl https://example.kz',
      '```',
      '',
      '# Оплата',
      '',
      'Картой.',
    ].join('\n');
    const r = await extract(Buffer.from(md), 'faq.md');
    expect(r.type).toBe('md');
    expect(r.sections).toEqual([
      { headings: ['Доставка'], text: 'Мы доставляем по всему Казахстану, см. тарифы.' },
      {
        headings: ['Доставка', 'По Алматы'],
        text: '- в день заказа\n- бесплатно от 20 000 ₸\n\nРайон | Цена\nМедеуский | 1 500 ₸\n\ncurl https://example.kz',
      },
      { headings: ['Оплата'], text: 'Картой.' },
    ]);
  });
});

describe('types and limits', () => {
  it('detects the type by magic bytes first, then by extension', async () => {
    const pdf = await russianPdf({ pages: 1 });
    expect(detectType('notes.txt', pdf)).toBe('pdf');
    expect(detectType('x.bin', await docxFile())).toBe('docx');
    expect(detectType('a.MD', Buffer.from('# x'))).toBe('md');
    expect(detectType('a.markdown', Buffer.from('# x'))).toBe('md');
    expect(detectType('a.txt', Buffer.from('x'))).toBe('txt');
    for (const [name, head] of [
      ['a.xlsx', Buffer.from('PK\x03\x04xl/workbook.xml')],
      ['a.doc', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])],
      ['a.pdf', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0])],
      ['a.rtf', Buffer.from('{\\rtf1')],
      ['a.csv', Buffer.from('a,b')],
      ['README', Buffer.from('hello')],
    ] as const) {
      expect(() => detectType(name, head), name).toThrow(
        expect.objectContaining({ code: 'unsupported-type' }),
      );
    }
  });

  it('refuses more than 50 MB', async () => {
    const e = await refusal(extract(new Uint8Array(MAX_INPUT_BYTES + 1), 'big.txt'));
    expect(e.code).toBe('too-large');
  });

  it('hashes bytes as SHA-256 hex', () => {
    expect(sha256Hex(Buffer.from('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
