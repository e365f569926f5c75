import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CoreError } from '../../src/main/core/errors';
import { shellJoin, shellQuote } from '../../src/main/core/ssh/quote';
import { HOSTILE } from '../helpers/hostile';

function viaSh(args: string[]): string[] {
  // printf '%s\0' prints each argument as received, NUL-separated.
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${args.map(shellQuote).join(' ')}`]);
  const parts = out.toString('utf8').split('\0');
  parts.pop();
  return parts;
}

describe('shellQuote', () => {
  it('delivers hostile strings to a real POSIX shell byte for byte', () => {
    expect(viaSh(HOSTILE)).toEqual(HOSTILE);
  });

  it('delivers random byte strings byte for byte', () => {
    const samples: string[] = [];
    for (let i = 0; i < 200; i++) {
      const len = 1 + Math.floor(Math.random() * 24);
      let s = '';
      for (let j = 0; j < len; j++) {
        // printable and control characters, quotes and non-ASCII, never NUL
        const pool = [
          1 + Math.floor(Math.random() * 126),
          0x400 + Math.floor(Math.random() * 64),
          39,
          34,
          36,
          96,
          92,
          10,
        ];
        s += String.fromCodePoint(pool[Math.floor(Math.random() * pool.length)] ?? 65);
      }
      samples.push(s);
    }
    expect(viaSh(samples)).toEqual(samples);
  });

  it('leaves plain words readable and quotes the rest', () => {
    expect(shellJoin(['docker', 'compose', '-p', 'acme-1', 'up', '-d'])).toBe(
      'docker compose -p acme-1 up -d',
    );
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe("''");
  });

  it('refuses NUL rather than cutting the argument', () => {
    expect(() => shellQuote('a\0b')).toThrow(CoreError);
    expect(() => shellJoin([])).toThrow(CoreError);
  });
});
