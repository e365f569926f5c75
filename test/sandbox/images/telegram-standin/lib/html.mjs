/*
 * Telegram's HTML parse mode, as the Bot API documents it, for the Telegram Bot API STAND-IN:
 * the supported tags (b strong i em u ins s strike del span.tg-spoiler tg-spoiler a code pre
 * blockquote tg-emoji), the four named entities (&lt; &gt; &amp; &quot;) and numeric ones. A
 * message is taken apart into its plain text and entities (offsets in UTF-16 code units), or
 * refused with Telegram's wording ("can't parse entities: …", byte offsets in UTF-8). An unknown
 * `&name;` stays as it is, as Telegram leaves it.
 */

const TAGS = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  span: 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  'tg-emoji': 'custom_emoji',
};
const NAMED = { lt: '<', gt: '>', amp: '&', quot: '"' };

export class HtmlError extends Error {}

const byteOffset = (s, i) => Buffer.byteLength(s.slice(0, i), 'utf8');

function decodeEntity(s, i) {
  // s[i] === '&'; returns [text, next index] or null when it is not an entity Telegram knows
  const end = s.indexOf(';', i);
  if (end < 0 || end - i > 10) return null;
  const name = s.slice(i + 1, end);
  if (Object.hasOwn(NAMED, name)) return [NAMED[name], end + 1];
  const m = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(name);
  if (!m) return null;
  const cp = m[1].startsWith('x') ? parseInt(m[1].slice(1), 16) : parseInt(m[1], 10);
  if (!(cp > 0 && cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) return null;
  return [String.fromCodePoint(cp), end + 1];
}

function decodeText(s) {
  let out = '';
  for (let i = 0; i < s.length;) {
    if (s[i] === '&') {
      const e = decodeEntity(s, i);
      if (e) {
        out += e[0];
        i = e[1];
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

function parseAttrs(raw, where) {
  const attrs = {};
  const re = /\s*([a-zA-Z-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/y;
  let i = 0;
  while (i < raw.length) {
    re.lastIndex = i;
    const m = re.exec(raw);
    if (!m || m[0].length === 0) {
      if (/^\s*$/.test(raw.slice(i))) break;
      throw new HtmlError(
        `Expected equal sign in declaration of an attribute of the tag at byte offset ${where}`,
      );
    }
    attrs[m[1].toLowerCase()] = decodeText(m[2] ?? m[3] ?? m[4] ?? '');
    i = re.lastIndex;
  }
  return attrs;
}

/** `{text, entities}` of an HTML message, or throws HtmlError with Telegram's description. */
export function parseHtml(html) {
  let text = '';
  const entities = [];
  const open = [];
  let i = 0;
  while (i < html.length) {
    const c = html[i];
    if (c === '&') {
      const e = decodeEntity(html, i);
      if (e) {
        text += e[0];
        i = e[1];
      } else {
        text += '&';
        i++;
      }
      continue;
    }
    if (c !== '<') {
      text += c;
      i++;
      continue;
    }
    const at = byteOffset(html, i);
    const close = html[i + 1] === '/';
    const nameMatch = /^[a-zA-Z][a-zA-Z0-9-]*/.exec(html.slice(i + (close ? 2 : 1)));
    const end = html.indexOf('>', i);
    if (!nameMatch) {
      if (close) throw new HtmlError(`Unexpected end tag at byte offset ${at}`);
      throw new HtmlError(`Unsupported start tag "" at byte offset ${at}`);
    }
    const name = nameMatch[0].toLowerCase();
    if (end < 0) throw new HtmlError(`Unclosed start tag at byte offset ${at}`);
    if (close) {
      const top = open.pop();
      if (!top || top.name !== name) {
        const expected = top ? `"</${top.name}>"` : 'nothing';
        throw new HtmlError(
          `Unmatched end tag at byte offset ${at}, expected ${expected}, found "</${name}>"`,
        );
      }
      const length = text.length - top.offset;
      if (length > 0) entities.push({ type: top.type, offset: top.offset, length, ...top.extra });
      i = end + 1;
      continue;
    }
    if (!Object.hasOwn(TAGS, name))
      throw new HtmlError(`Unsupported start tag "${name}" at byte offset ${at}`);
    const attrs = parseAttrs(html.slice(i + 1 + name.length, end).replace(/\/$/, ''), at);
    let type = TAGS[name];
    const extra = {};
    if (name === 'span' && attrs.class !== 'tg-spoiler')
      throw new HtmlError(`Tag "span" must have class "tg-spoiler" at byte offset ${at}`);
    if (name === 'a') {
      if (!attrs.href) type = null;
      else extra.url = attrs.href;
    }
    if (name === 'blockquote' && 'expandable' in attrs) type = 'expandable_blockquote';
    if (name === 'tg-emoji') extra.custom_emoji_id = attrs['emoji-id'] ?? '';
    if (name === 'code' && open.at(-1)?.name === 'pre' && attrs.class?.startsWith('language-')) {
      open.at(-1).extra.language = attrs.class.slice('language-'.length);
      type = null;
    }
    open.push({ name, type: type ?? 'none', offset: text.length, extra });
    i = end + 1;
  }
  if (open.length) throw new HtmlError(`Can't find end tag corresponding to start tag "${open.at(-1).name}"`);
  return { text, entities: entities.filter((e) => e.type !== 'none').sort((a, b) => a.offset - b.offset) };
}
