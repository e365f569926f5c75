import { Lexer, type Token, type Tokens } from 'marked';
import { SectionBuilder } from './sections';
import type { Section } from './types';

/** Markdown into Sections with marked's lexer: headings make the path; the rest becomes plain text. */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

function unescapeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, e: string) => ENTITIES[e] ?? '');
}

/** The plain text of inline tokens (emphasis, links, code spans… without their syntax). */
export function inlineText(tokens: Token[] | undefined, fallback = ''): string {
  if (!tokens) return unescapeEntities(fallback);
  return tokens
    .map((t): string => {
      switch (t.type) {
        case 'br':
          return '\n';
        case 'image':
          return t.text ? `[${(t as Tokens.Image).text}]` : '';
        case 'html':
          return '';
        case 'codespan':
          return unescapeEntities((t as Tokens.Codespan).text);
        case 'escape':
          return (t as Tokens.Escape).text;
        default:
          return 'tokens' in t && Array.isArray(t.tokens)
            ? inlineText(t.tokens as Token[])
            : unescapeEntities('text' in t ? String(t.text) : '');
      }
    })
    .join('');
}

function listText(list: Tokens.List, depth: number): string {
  const start = typeof list.start === 'number' ? list.start : 1;
  return list.items
    .map((item, i) => {
      const marker = list.ordered ? `${start + i}.` : '-';
      const lines: string[] = [];
      for (const t of item.tokens) {
        if (t.type === 'list') lines.push(listText(t as Tokens.List, depth + 1));
        else {
          const text = blockText(t);
          if (text) lines.push(text);
        }
      }
      const [head = '', ...rest] = lines;
      return [`${'  '.repeat(depth)}${marker} ${head}`, ...rest].join('\n');
    })
    .join('\n');
}

/** The plain text of a block token other than a heading. */
function blockText(t: Token): string {
  switch (t.type) {
    case 'paragraph':
    case 'text':
      return inlineText((t as Tokens.Paragraph).tokens, (t as Tokens.Text).text);
    case 'list':
      return listText(t as Tokens.List, 0);
    case 'table': {
      const table = t as Tokens.Table;
      const row = (cells: Tokens.TableCell[]) => cells.map((c) => inlineText(c.tokens, c.text)).join(' | ');
      return [row(table.header), ...table.rows.map(row)].join('\n');
    }
    case 'code':
      return (t as Tokens.Code).text;
    case 'blockquote':
      return (t as Tokens.Blockquote).tokens.map(blockText).filter(Boolean).join('\n');
    case 'heading':
      return inlineText((t as Tokens.Heading).tokens, (t as Tokens.Heading).text);
    default:
      return '';
  }
}

export function markdownSections(source: string): Section[] {
  const out = new SectionBuilder();
  const tokens = new Lexer({ gfm: true }).lex(source.replace(/\r\n?/g, '\n'));
  for (const t of tokens) {
    if (t.type === 'heading') {
      const h = t as Tokens.Heading;
      out.heading(h.depth, inlineText(h.tokens, h.text));
    } else if (t.type === 'blockquote') {
      // A quote's own headings are text, not structure.
      for (const inner of (t as Tokens.Blockquote).tokens) out.paragraph(blockText(inner));
    } else {
      out.paragraph(blockText(t));
    }
  }
  return out.done();
}
