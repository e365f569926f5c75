import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { faqHeadings, faqSectionText, loadFaqSet } from '../fixtures/kb/index';

/** The labelled FAQ knowledge set (test/fixtures/kb) is consistent with itself. */

const { documents, questions } = loadFaqSet();
const byName = new Map(documents.map((d) => [d.name, d]));
const norm = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ').trim();

describe('kb FAQ set', () => {
  it('has at least 60 questions with unique ids and known kinds', () => {
    expect(questions.length).toBeGreaterThanOrEqual(60);
    const ids = questions.map((q) => q.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const q of questions) {
      expect(q.id).toMatch(/^q\d{2,}$/);
      expect(['faq', 'complex', 'greeting', 'escalate', 'none']).toContain(q.kind);
      expect(q.question.trim().length, q.id).toBeGreaterThan(0);
    }
  });

  it('has the expected mix of kinds, with faq spread over every document', () => {
    const count = (k: string) => questions.filter((q) => q.kind === k).length;
    expect(count('faq')).toBeGreaterThanOrEqual(50);
    expect(count('complex')).toBeGreaterThanOrEqual(3);
    expect(count('greeting')).toBeGreaterThanOrEqual(2);
    expect(count('escalate')).toBeGreaterThanOrEqual(2);
    expect(count('none')).toBeGreaterThanOrEqual(2);
    for (const d of documents) {
      expect(
        questions.filter((q) => q.kind === 'faq' && q.document === d.name).length,
        d.name,
      ).toBeGreaterThanOrEqual(5);
    }
  });

  it('labels faq and complex questions with an existing document, section and answer text', () => {
    for (const q of questions.filter((q) => q.kind === 'faq' || q.kind === 'complex')) {
      const doc = q.document === null ? undefined : byName.get(q.document);
      expect(doc, `${q.id}: document ${q.document}`).toBeDefined();
      if (!doc || q.section === null) throw new Error(`${q.id}: no document or section`);
      const headings = faqHeadings(doc.name, doc.text).map((h) => h.text);
      expect(headings, `${q.id}: section`).toContain(q.section);
      expect(q.answer_contains.length, q.id).toBeGreaterThan(0);
      const section = faqSectionText(doc.name, doc.text, q.section) ?? '';
      for (const a of q.answer_contains) {
        expect(a.trim(), q.id).toBe(a);
        expect(a, `${q.id}: non-breaking space`).not.toMatch(/[\u00a0\u202f]/);
        // Plain text, so that it survives conversion to HTML, DOCX or text (no table cells, no markup).
        expect(a, `${q.id}: markup`).not.toMatch(/[|*#`]/);
        expect(doc.text.includes(a), `${q.id}: "${a}" in ${doc.name}`).toBe(true);
        // Once only, so that a retrieved chunk holding it is the chunk that answers.
        expect(doc.text.split(a).length - 1, `${q.id}: "${a}" occurs once in ${doc.name}`).toBe(1);
        // A single-section question is answered by its section itself.
        if (q.kind === 'faq') expect(section.includes(a), `${q.id}: "${a}" in «${q.section}»`).toBe(true);
      }
    }
  });

  it('leaves greeting, escalate and none questions without a document', () => {
    for (const q of questions.filter((q) => q.kind !== 'faq' && q.kind !== 'complex')) {
      expect(q.document, q.id).toBeNull();
      expect(q.section, q.id).toBeNull();
      expect(q.answer_contains, q.id).toEqual([]);
    }
  });

  it('keeps hours-contacts.txt encodable in windows-1251', () => {
    const text = byName.get('hours-contacts.txt')?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
    const bad = [...new Set(text)].filter(
      (ch) => iconv.decode(iconv.encode(ch, 'win1251'), 'win1251') !== ch,
    );
    expect(bad).toEqual([]);
    expect(iconv.decode(iconv.encode(text, 'win1251'), 'win1251')).toBe(text);
  });

  it('gives every document at least 3 headings and no non-breaking spaces', () => {
    expect(documents.length).toBeGreaterThanOrEqual(4);
    for (const d of documents) {
      expect(faqHeadings(d.name, d.text).length, d.name).toBeGreaterThanOrEqual(3);
      expect(d.text, d.name).not.toMatch(/[\u00a0\u202f]/);
    }
  });

  it('asks questions as paraphrases, never copies of the documents', () => {
    const texts = documents.map((d) => norm(d.text));
    for (const q of questions) {
      for (const [i, t] of texts.entries()) {
        expect(t.includes(norm(q.question)), `${q.id} copied from ${documents[i]!.name}`).toBe(false);
      }
    }
  });
});
