import { deflateSync } from 'node:zlib';
import {
  AlignmentType,
  Document,
  HeadingLevel,
  Packer,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
} from 'docx';
import iconv from 'iconv-lite';
import PDFDocument from 'pdfkit';

/**
 * Documents for the knowledge-base tests (unit now, integration later): a long Russian PDF with headings and
 * page numbers, a scanned PDF without text, a DOCX with headings and a table, TXT in cp1251 and KOI8-R.
 * Everything is deterministic: no dates, no randomness beyond a seeded generator.
 */

export const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
export const FONT_BOLD = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
const FIXED_DATE = new Date(Date.UTC(2024, 0, 15, 9, 0, 0));
export const RUNNING_HEADER = 'ТОО «Трюфель» — Регламент обслуживания клиентов';

/** A seeded generator (mulberry32): the same text every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBJECTS = [
  'Наша компания',
  'Отдел продаж',
  'Служба доставки',
  'Персональный менеджер',
  'Склад в Алматы',
  'Бухгалтерия',
  'Сервисный центр',
  'Курьер',
  'Оператор колл-центра',
  'Филиал в Астане',
];
const VERBS = [
  'обеспечивает',
  'согласовывает',
  'проверяет',
  'оформляет',
  'принимает',
  'отправляет',
  'подтверждает',
  'рассматривает',
];
const OBJECTS = [
  'заказы покупателей',
  'договоры поставки',
  'счета на оплату',
  'заявки на возврат товара',
  'гарантийные обязательства',
  'накладные и акты сверки',
  'претензии по качеству',
  'графики отгрузки',
];
const TAILS = [
  'в течение двух рабочих дней',
  'по будним дням с девяти до восемнадцати часов',
  'согласно действующему прайс-листу',
  'после подтверждения оплаты',
  'без дополнительной комиссии',
  'с обязательным уведомлением клиента по электронной почте',
  'в соответствии с законодательством Республики Казахстан',
  'при наличии товара на складе',
];
const CHAPTERS = [
  'Общие положения',
  'Ассортимент и цены',
  'Оформление заказа',
  'Оплата',
  'Доставка',
  'Возврат и обмен',
  'Гарантия',
  'Обслуживание юридических лиц',
  'Программа лояльности',
  'Контакты и реквизиты',
];
const SUBSECTIONS = ['Порядок работы', 'Сроки', 'Стоимость', 'Особые условия', 'Ответственность сторон'];

export interface KbPage {
  page: number;
  /** A chapter heading opens the page (level 1). */
  chapter?: string;
  /** A subsection heading follows it (level 2). */
  subsection?: string;
  paragraphs: string[];
}

/** The text of the long business document: a chapter every 10 pages, a subsection every 2, three paragraphs a page. */
export function russianBusinessText(pages = 100): KbPage[] {
  const rand = rng(20240115);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const sentence = () => `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)} ${pick(TAILS)}.`;
  const out: KbPage[] = [];
  for (let p = 1; p <= pages; p++) {
    const ch = Math.floor((p - 1) / 10);
    const page: KbPage = { page: p, paragraphs: [] };
    if ((p - 1) % 10 === 0) page.chapter = `${ch + 1}. ${CHAPTERS[ch % CHAPTERS.length]}`;
    if ((p - 1) % 2 === 0)
      page.subsection = `${ch + 1}.${((p - 1) % 10) / 2 + 1}. ${SUBSECTIONS[((p - 1) % 10) / 2]}`;
    for (let i = 0; i < 3; i++) {
      const n = 4 + Math.floor(rand() * 3);
      page.paragraphs.push(Array.from({ length: n }, sentence).join(' '));
    }
    out.push(page);
  }
  // Words the tests look for.
  out[0]!.paragraphs[0] = `Доставка по Алматы осуществляется ежедневно, включая субботу. ${out[0]!.paragraphs[0]}`;
  out[pages - 1]!.paragraphs[2] =
    `Біз сізге көмектесеміз: қоңырау шалыңыз, әрқашан қуаныштымыз. ${out[pages - 1]!.paragraphs[2]}`;
  return out;
}

function pdfBuffer(doc: PDFKit.PDFDocument): Promise<Buffer> {
  const parts: Buffer[] = [];
  doc.on('data', (b: Buffer) => parts.push(b));
  return new Promise((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
    doc.end();
  });
}

function newPdf(extra: PDFKit.PDFDocumentOptions = {}): PDFKit.PDFDocument {
  return new PDFDocument({
    size: 'A4',
    margins: { top: 56, bottom: 56, left: 64, right: 64 },
    info: { Title: 'Регламент', Author: 'Truffles tests', CreationDate: FIXED_DATE, ModDate: FIXED_DATE },
    ...extra,
  });
}

/** The long Russian PDF: a running header, headings, paragraphs and «— N —» at the foot of each page. */
export async function russianPdf(opts: { pages?: number; userPassword?: string } = {}): Promise<Buffer> {
  const pages = russianBusinessText(opts.pages ?? 100);
  const doc = newPdf(opts.userPassword ? { userPassword: opts.userPassword } : {});
  doc.registerFont('body', FONT);
  doc.registerFont('bold', FONT_BOLD);
  const width = doc.page.width - 128;
  pages.forEach((p, i) => {
    if (i > 0) doc.addPage();
    doc.font('body').fontSize(8).fillColor('#666').text(RUNNING_HEADER, 64, 30, { width, lineBreak: false });
    doc.fillColor('black').x = 64;
    doc.y = 64;
    if (p.chapter) doc.font('bold').fontSize(18).text(p.chapter, { width }).moveDown(0.6);
    if (p.subsection) doc.font('bold').fontSize(14).text(p.subsection, { width }).moveDown(0.5);
    for (const para of p.paragraphs)
      doc.font('body').fontSize(11).text(para, { width, align: 'left' }).moveDown(0.8);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('body')
      .fontSize(9)
      .text(`— ${p.page} —`, 64, doc.page.height - 40, { width, align: 'center', lineBreak: false });
    doc.page.margins.bottom = bottom;
  });
  return pdfBuffer(doc);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A grey-scale PNG that looks like a scanned page: lines of "text" as dark strokes. */
export function scanPng(width = 240, height = 320): Buffer {
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0); // filter: none
    const inLine = y > 20 && y < height - 20 && y % 14 < 6;
    for (let x = 0; x < width; x++) {
      const ink = inLine && x > 20 && x < width - 20 && (x * 7 + y * 3) % 23 < 15;
      rows.push(ink ? 40 : 245);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grey, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A "scanned" PDF: each page an embedded raster image and some drawn shapes, no text at all. */
export async function scannedPdf(pages = 3): Promise<Buffer> {
  const doc = newPdf();
  const png = scanPng();
  for (let p = 0; p < pages; p++) {
    if (p > 0) doc.addPage();
    doc.image(png, 64, 64, { width: doc.page.width - 128 });
    doc.rect(40, 40, doc.page.width - 80, doc.page.height - 80).stroke();
    doc.circle(100 + p * 20, doc.page.height - 100, 20).fill('#999');
  }
  return pdfBuffer(doc);
}

export interface DocxSection {
  heading: string;
  level?: 1 | 2 | 3;
  paragraphs?: string[];
  /** Rows of cells; the first row is the header. */
  table?: string[][];
}

export const DOCX_SAMPLE: DocxSection[] = [
  { heading: 'Доставка', level: 1, paragraphs: ['Мы доставляем заказы по всему Казахстану.'] },
  {
    heading: 'По Алматы',
    level: 2,
    paragraphs: [
      'Курьер привезёт заказ в день оформления, если он сделан до 14:00.',
      'Доставка бесплатна от 20 000 ₸.',
    ],
    table: [
      ['Район', 'Срок', 'Цена'],
      ['Медеуский', '2 часа', '1 500 ₸'],
      ['Алатауский', '4 часа', '2 000 ₸'],
    ],
  },
  { heading: 'Оплата', level: 1, paragraphs: ['Принимаем Kaspi, карты и безналичный расчёт.'] },
];

const HEADINGS = { 1: HeadingLevel.HEADING_1, 2: HeadingLevel.HEADING_2, 3: HeadingLevel.HEADING_3 } as const;

const CORE_XML =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
  '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ' +
  'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>Fixture</dc:title>' +
  '<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-15T09:00:00Z</dcterms:created>' +
  '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-15T09:00:00Z</dcterms:modified></cp:coreProperties>';

/** Sets every entry's DOS time and date in a zip (local and central headers) to 2024-01-15 09:00. */
function fixZipTimes(zip: Buffer): Buffer {
  const time = 9 << 11;
  const date = ((2024 - 1980) << 9) | (1 << 5) | 15;
  for (let i = 0; i + 4 <= zip.length; i++) {
    const sig = zip.readUInt32LE(i);
    if (sig === 0x04034b50) {
      zip.writeUInt16LE(time, i + 10);
      zip.writeUInt16LE(date, i + 12);
      i += 29 + zip.readUInt16LE(i + 26) + zip.readUInt16LE(i + 28) + zip.readUInt32LE(i + 18);
    } else if (sig === 0x02014b50) {
      zip.writeUInt16LE(time, i + 12);
      zip.writeUInt16LE(date, i + 14);
      i += 45 + zip.readUInt16LE(i + 28) + zip.readUInt16LE(i + 30) + zip.readUInt16LE(i + 32);
    }
  }
  return zip;
}

/** A DOCX with headings, paragraphs and tables (docx package), byte-for-byte the same each time. */
export async function docxFile(sections: DocxSection[] = DOCX_SAMPLE): Promise<Buffer> {
  const children: (Paragraph | Table)[] = [];
  for (const s of sections) {
    children.push(new Paragraph({ text: s.heading, heading: HEADINGS[s.level ?? 1] }));
    for (const p of s.paragraphs ?? []) children.push(new Paragraph({ children: [new TextRun(p)] }));
    if (s.table) {
      const rows = s.table.map(
        (cells, r) =>
          new TableRow({
            children: cells.map(
              (c) =>
                new TableCell({
                  children: [
                    new Paragraph({
                      children: [new TextRun({ text: c, bold: r === 0 })],
                      alignment: AlignmentType.LEFT,
                    }),
                  ],
                }),
            ),
          }),
      );
      children.push(new Table({ rows }));
    }
  }
  const doc = new Document({ creator: 'Truffles tests', title: 'Fixture', sections: [{ children }] });
  const zip = await Packer.toBuffer(doc, undefined, [{ path: 'docProps/core.xml', data: CORE_XML }]);
  return fixZipTimes(Buffer.from(zip));
}

export function cp1251Txt(text: string): Buffer {
  return iconv.encode(text, 'windows-1251');
}

export function koi8rTxt(text: string): Buffer {
  return iconv.encode(text, 'koi8-r');
}

/**
 * A Markdown document (headings `#`–`###`, paragraphs, list items) as DOCX sections: each heading
 * starts a section, each paragraph or list item (markers and emphasis removed) is a paragraph.
 */
export function markdownSections(md: string): DocxSection[] {
  const out: DocxSection[] = [];
  let cur: DocxSection | null = null;
  let para: string[] = [];
  const flush = (): void => {
    if (para.length) {
      cur ??= { heading: 'Документ', level: 1, paragraphs: [] };
      if (!out.includes(cur)) out.push(cur);
      cur.paragraphs!.push(para.join(' '));
    }
    para = [];
  };
  for (const raw of md.split('\n')) {
    const line = raw.trim();
    const h = /^(#{1,3})\s+(.*)$/.exec(line);
    if (h) {
      flush();
      cur = { heading: h[2]!.replace(/[*_`]/g, ''), level: h[1]!.length as 1 | 2 | 3, paragraphs: [] };
      out.push(cur);
    } else if (!line) flush();
    else if (/^([-*+]|\d+\.)\s+/.test(line)) {
      flush();
      para.push(line.replace(/^([-*+]|\d+\.)\s+/, '').replace(/[*_`]/g, ''));
      flush();
    } else para.push(line.replace(/[*_`]/g, ''));
  }
  flush();
  return out;
}

export function docxFromMarkdown(md: string): Promise<Buffer> {
  return docxFile(markdownSections(md));
}
