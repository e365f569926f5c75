import type { Section } from './types';

/** Builds Sections from a stream of headings and paragraphs: paragraphs under the same heading path (and page) join. */
export class SectionBuilder {
  readonly sections: Section[] = [];
  private path: string[] = [];
  private paragraphs: string[] = [];
  private page: number | undefined;

  /** A heading of level 1..6 replaces the path from that level down. */
  heading(level: number, text: string): void {
    const title = normalizeSpaces(text);
    if (!title) return;
    this.flush();
    const depth = Math.max(1, Math.min(6, level));
    this.path = [...this.path.slice(0, depth - 1), title];
  }

  paragraph(text: string, page?: number): void {
    const t = text
      .split('\n')
      .map((l) => normalizeSpaces(l))
      .filter((l) => l !== '')
      .join('\n');
    if (!t) return;
    if (page !== this.page) this.flush();
    this.page = page;
    this.paragraphs.push(t);
  }

  get headings(): string[] {
    return this.path;
  }

  flush(): void {
    if (this.paragraphs.length === 0) return;
    const section: Section = { text: this.paragraphs.join('\n\n'), headings: [...this.path] };
    if (this.page !== undefined) section.page = this.page;
    this.sections.push(section);
    this.paragraphs = [];
  }

  done(): Section[] {
    this.flush();
    return this.sections;
  }
}

/** Collapses runs of spaces and tabs (and no-break spaces) into one space and trims. */
export function normalizeSpaces(text: string): string {
  return text.replace(/[\t \u00a0\u2000-\u200b\u202f\u3000]+/g, ' ').trim();
}
