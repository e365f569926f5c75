/**
 * The pure pieces of an upload from the Knowledge screen, kept apart from React and the store so
 * they are unit tested: which files the host's worker can read (by extension, up to 50 MB), the
 * byte ranges of the 1 MiB parts a file is sent in, and the base64 of a part (built in slices, so
 * a large part never becomes one huge argument list).
 */
import { KB_MAX_FILE_BYTES } from '../../../../shared/kb/protocol';

/** The size of one `kb.uploadPart` (its base64 stays well under the contract's 6 MiB). */
export const KB_PART_BYTES = 1024 * 1024;

/** The extensions the file chooser offers and the screen accepts. */
export const KB_UPLOAD_EXTENSIONS = ['pdf', 'docx', 'txt', 'md', 'markdown'] as const;

/** The file input's `accept`. */
export const KB_ACCEPT = KB_UPLOAD_EXTENSIONS.map((e) => `.${e}`).join(',');

export { KB_MAX_FILE_BYTES };

/** The extension of a file name, lower case, without the dot ('' when it has none). */
export function extensionOf(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? name;
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || dot === base.length - 1) return '';
  return base.slice(dot + 1).toLowerCase();
}

/** Why a file is refused before anything is sent: its type, its size (too big or empty), its name. */
export type Refusal =
  | { code: 'type'; extension: string }
  | { code: 'too-large'; sizeBytes: number; maxBytes: number }
  | { code: 'empty' }
  | { code: 'name' };

/** Whether the screen may send this file; null when it may. */
export function refusalOf(file: { name: string; size: number }): Refusal | null {
  if (!file.name || file.name.length > 255 || /[/\\\0]/.test(file.name)) return { code: 'name' };
  const extension = extensionOf(file.name);
  if (!(KB_UPLOAD_EXTENSIONS as readonly string[]).includes(extension)) return { code: 'type', extension };
  if (file.size <= 0) return { code: 'empty' };
  if (file.size > KB_MAX_FILE_BYTES)
    return { code: 'too-large', sizeBytes: file.size, maxBytes: KB_MAX_FILE_BYTES };
  return null;
}

/** The [start, end) byte ranges a file of `size` bytes is sent in, in order. */
export function partRanges(size: number, partBytes: number = KB_PART_BYTES): [number, number][] {
  if (!Number.isInteger(partBytes) || partBytes <= 0) throw new RangeError('A part has at least one byte.');
  const out: [number, number][] = [];
  for (let a = 0; a < size; a += partBytes) out.push([a, Math.min(size, a + partBytes)]);
  return out;
}

/** Bytes turned into characters this many at a time (an argument list stays small). */
const SLICE = 0x8000;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The standard base64 (with padding) of the bytes. */
export function base64OfBytes(data: ArrayBuffer | Uint8Array): string {
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const btoaFn = (globalThis as { btoa?: (s: string) => string }).btoa;
  if (btoaFn) {
    const pieces: string[] = [];
    for (let i = 0; i < bytes.length; i += SLICE)
      pieces.push(String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + SLICE))));
    return btoaFn(pieces.join(''));
  }
  // No btoa (an old runtime): the same by hand.
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    out += ALPHABET.charAt((n >> 18) & 63) + ALPHABET.charAt((n >> 12) & 63);
    out += i + 1 < bytes.length ? ALPHABET.charAt((n >> 6) & 63) : '=';
    out += i + 2 < bytes.length ? ALPHABET.charAt(n & 63) : '=';
  }
  return out;
}

/** What an upload needs of a file: the browser's File, or a stand-in in tests. */
export interface UploadSource {
  name: string;
  size: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/** Percent of a file sent, 0–100. */
export function sentPercent(sent: number, size: number): number {
  if (size <= 0) return 0;
  return Math.max(0, Math.min(100, Math.round((sent / size) * 100)));
}
