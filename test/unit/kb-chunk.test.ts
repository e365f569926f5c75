import { beforeAll, describe, expect, it } from 'vitest';
import {
  chunk,
  countTokens,
  encodingFor,
  extract,
  type Chunk,
  type Section,
} from '../../src/kbworker/extract/index';
import { russianBusinessText, russianPdf } from '../helpers/kb-fixtures';

/** Chunking: structure before length, whole paragraphs, overlap, heading-path lines, pages, nothing lost. */

const body = (c: Chunk) => c.content.slice(c.content.indexOf('\n') + 1);
const firstSentence = (text: string) => /^.*?[.!?](?=\s|$)/s.exec(text)?.[0] ?? text.slice(0, 60);

describe('the 100-page PDF', () => {
  let sections: Section[];
  let chunks: Chunk[];
  beforeAll(async () => {
    const bytes = await russianPdf({ pages: 100 });
    const t0 = performance.now();
    sections = (await extract(bytes, 'Регламент.pdf')).sections;
    const t1 = performance.now();
    chunks = chunk(sections, { model: 'text-embedding-3-small' });
    const t2 = performance.now();
    chunk(sections, { model: 'text-embedding-3-small' });
    const t3 = performance.now();
    console.log(
      `100-page PDF: extract ${(t1 - t0).toFixed(0)} ms, chunk ${(t2 - t1).toFixed(0)} ms ` +
        `(again, tokenizer built: ${(t3 - t2).toFixed(0)} ms) → ${chunks.length} chunks`,
    );
  });

  it('makes chunks of 450..1000 tokens (the last may be smaller), counted exactly', () => {
    expect(chunks.length).toBeGreaterThan(50);
    chunks.forEach((c, i) => {
      expect(c.index).toBe(i);
      expect(c.tokenCount).toBe(countTokens(c.content));
      expect(c.tokenCount, `chunk ${i}`).toBeLessThanOrEqual(1000);
      if (i < chunks.length - 1) expect(c.tokenCount, `chunk ${i}`).toBeGreaterThanOrEqual(450);
    });
  });

  it('gives every chunk its pages and heading path, as its first line, within one chapter', () => {
    for (const c of chunks) {
      expect(c.page).toBeGreaterThanOrEqual(1);
      expect(c.pageEnd).toBeGreaterThanOrEqual(c.page!);
      expect(c.pageEnd! - c.page!).toBeLessThanOrEqual(1);
      expect(c.headings).toHaveLength(2);
      expect(c.content.startsWith(`${c.headings.join(' › ')}\n`)).toBe(true);
      // Any other path line inside stays in the same chapter.
      for (const line of c.content.split('\n').filter((l) => l.includes(' › '))) {
        expect(line.startsWith(`${c.headings[0]} › `)).toBe(true);
      }
    }
    expect(chunks[0]).toMatchObject({ page: 1, headings: ['1. Общие положения', '1.1. Порядок работы'] });
    expect(chunks[chunks.length - 1]).toMatchObject({ pageEnd: 100 });
  });

  it('overlaps consecutive chunks of one section by whole sentences of ~100 tokens', () => {
    let pairs = 0;
    for (let i = 1; i < chunks.length; i++) {
      const [prev, next] = [chunks[i - 1]!, chunks[i]!];
      if (prev.headings.join() !== next.headings.join()) continue;
      pairs++;
      const lead = firstSentence(body(next));
      expect(prev.content, `chunk ${i}`).toContain(lead);
      const shared = body(next).slice(0, body(next).indexOf(lead) + lead.length);
      expect(countTokens(shared)).toBeLessThanOrEqual(100);
    }
    expect(pairs).toBeGreaterThan(30);
  });

  it('loses no text: every paragraph is whole in some chunk, and charStart points at the chunk’s own text', () => {
    for (const p of russianBusinessText(100)) {
      for (const para of p.paragraphs) {
        expect(
          chunks.some((c) => c.content.includes(para)),
          `page ${p.page}: ${para.slice(0, 40)}`,
        ).toBe(true);
      }
    }
    const joined = sections.map((s) => s.text).join('\n\n');
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      const own = joined.slice(c.charStart!, c.charStart! + 40);
      expect(c.content, `chunk ${i}`).toContain(own);
    }
  });
});

describe('chunk', () => {
  const words = (n: number, seed = 0) =>
    Array.from(
      { length: n },
      (_, i) => ['доставка', 'заказ', 'оплата', 'курьер', 'склад'][(i + seed) % 5],
    ).join(' ');

  it('makes one chunk of a small FAQ, with each question’s path line', () => {
    const faq: Section[] = [
      { headings: ['Как оплатить?'], text: 'Картой, Kaspi или наличными курьеру.' },
      { headings: ['Сколько ждать?'], text: 'По Алматы — в день заказа, по Казахстану — 2–4 дня.' },
      { headings: ['Можно вернуть?'], text: 'Да, в течение 14 дней с чеком.' },
    ];
    const chunks = chunk(faq);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.content).toBe(
      'Как оплатить?\nКартой, Kaspi или наличными курьеру.\n\n' +
        'Сколько ждать?\nПо Алматы — в день заказа, по Казахстану — 2–4 дня.\n\n' +
        'Можно вернуть?\nДа, в течение 14 дней с чеком.',
    );
    expect(chunks[0]!.headings).toEqual(['Как оплатить?']);
    expect(chunks[0]!.page).toBeUndefined();
  });

  it('never makes empty chunks', () => {
    expect(chunk([])).toEqual([]);
    expect(chunk([{ headings: ['X'], text: ' \n\n \n' }])).toEqual([]);
    const one = chunk([{ headings: [], text: 'Одно слово' }]);
    expect(one).toEqual([
      { index: 0, content: 'Одно слово', tokenCount: countTokens('Одно слово'), headings: [], charStart: 0 },
    ]);
  });

  it('does not join two large top-level sections', () => {
    const sections: Section[] = [
      { headings: ['Доставка'], text: `${words(300)}.` },
      { headings: ['Оплата'], text: `${words(300, 1)}.` },
    ];
    const chunks = chunk(sections, { minTokens: 500 });
    expect(chunks.map((c) => c.headings[0])).toEqual(['Доставка', 'Оплата']);
  });

  it('splits a paragraph longer than maxTokens on sentences, with overlap, losing nothing', () => {
    const sentences = Array.from(
      { length: 120 },
      (_, i) => `Предложение номер ${i + 1} о доставке ${words(8, i)}.`,
    );
    const chunks = chunk([{ headings: ['Длинный'], text: sentences.join(' ') }], {
      maxTokens: 300,
      minTokens: 150,
      overlapTokens: 40,
    });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.tokenCount).toBeLessThanOrEqual(300);
    for (const s of sentences)
      expect(
        chunks.some((c) => c.content.includes(s)),
        s,
      ).toBe(true);
    for (let i = 1; i < chunks.length; i++) {
      const lead = firstSentence(body(chunks[i]!));
      expect(chunks[i - 1]!.content).toContain(lead); // the overlap: the previous chunk's last sentence(s)
    }
  });

  it('splits a run of words without sentences on words, and a long table on rows', () => {
    const text = words(3000);
    const chunks = chunk([{ headings: [], text }], { maxTokens: 400, minTokens: 200 });
    for (const c of chunks) expect(c.tokenCount).toBeLessThanOrEqual(400);
    expect(chunks.length).toBeGreaterThan(5);
    const seen = chunks.map((c) => c.content).join(' ');
    expect(seen.split(' ').length).toBeGreaterThanOrEqual(3000); // every word, some twice (the overlap)

    const rows = Array.from({ length: 200 }, (_, i) => `Товар ${i + 1} | ${100 + i} ₸ | на складе`);
    const table = chunk([{ headings: ['Прайс'], text: rows.join('\n') }], { maxTokens: 300, minTokens: 150 });
    for (const c of table) expect(c.tokenCount).toBeLessThanOrEqual(300);
    for (const r of rows)
      expect(
        table.some((c) => c.content.split('\n').includes(r)),
        r,
      ).toBe(true);
  });

  it('counts with o200k_base for gpt-4o/4.1/o-series names and cl100k_base otherwise', () => {
    expect(encodingFor('text-embedding-3-small')).toBe('cl100k_base');
    expect(encodingFor('text-embedding-ada-002')).toBe('cl100k_base');
    expect(encodingFor('bge-m3')).toBe('cl100k_base');
    expect(encodingFor(undefined)).toBe('cl100k_base');
    expect(encodingFor('gpt-4o-mini')).toBe('o200k_base');
    expect(encodingFor('openai/gpt-4.1')).toBe('o200k_base');
    expect(encodingFor('o3-mini')).toBe('o200k_base');
    const ru = 'Доставка по Алматы осуществляется ежедневно';
    expect(countTokens(ru, 'gpt-4o')).toBeLessThan(countTokens(ru));
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello <|endoftext|>')).toBeGreaterThan(2); // special tokens are plain text
  });
});
