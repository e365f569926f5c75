import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { assessText } from '../../src/kbworker/extract/quality';

/** The garbage heuristic: real Russian, Kazakh and English pass; mojibake and symbol soup don't. */

const RU =
  'Доставка по Алматы осуществляется ежедневно, включая субботу. Курьер привезёт заказ в день оформления, ' +
  'если он сделан до 14:00. Оплата картой или наличными при получении; возврат — в течение 14 дней.';
const KK =
  'Біз сізге көмектесеміз: қоңырау шалыңыз, әрқашан қуаныштымыз. Тапсырысты Алматы қаласы бойынша ' +
  'бүгін жеткіземіз, ал өңірлерге екі күн ішінде. Төлем картамен немесе қолма-қол ақшамен қабылданады.';
const EN =
  'We deliver orders across Almaty every day, Saturdays included. Payment is accepted by card or in cash; ' +
  'returns are possible within fourteen days of the purchase, with the receipt. Rhythm and myths stay.';

describe('assessText', () => {
  it('passes proper Russian, Kazakh and English, a price table and a short text', () => {
    for (const text of [RU, KK, EN, `${RU}\n${KK}\n${EN}`])
      expect(assessText(text), text).toMatchObject({ ok: true });
    const table = 'Район | Срок | Цена\nМедеуский | 2 часа | 1 500 ₸\nАлатауский | 4 часа | 2 000 ₸\n'.repeat(
      3,
    );
    expect(assessText(table).ok).toBe(true);
    expect(assessText('Ð¿Ñ€Ð¸').ok).toBe(true); // too little to judge
  });

  it('refuses Cyrillic read as Latin-1 (cp1251 bytes): «Ïðèâåò»', () => {
    const moji = iconv.decode(iconv.encode(RU, 'windows-1251'), 'latin1');
    expect(moji).toContain('Äîñòàâêà');
    const q = assessText(moji);
    expect(q.ok).toBe(false);
    expect(q.reason).toMatch(/Latin-1/);
  });

  it('refuses UTF-8 read as cp1252: «Ð¿Ñ€Ð¸»', () => {
    const moji = iconv.decode(Buffer.from(RU, 'utf8'), 'windows-1252');
    expect(moji).toMatch(/Ð/);
    const q = assessText(moji);
    expect(q.ok).toBe(false);
    expect(q.reason).toMatch(/UTF-8/);
  });

  it('refuses KOI8-R read as cp1251 (case swapped inside words) and cp866 read as cp437 (box drawing)', () => {
    const koi = iconv.decode(iconv.encode(RU, 'koi8-r'), 'windows-1251');
    expect(assessText(koi)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/mix cases|code page/),
    });
    const dos = iconv.decode(iconv.encode(RU, 'cp866'), 'cp437');
    expect(assessText(dos).ok).toBe(false);
  });

  it('refuses replacement/private-use characters, symbol soup and vowelless words', () => {
    const fffd = 'Д\ufffd\ufffd\ufffdтав\ufffd\ufffd \ufffd\ufffd \ufffd\ufffdмат\ufffd '.repeat(10);
    expect(assessText(fffd)).toMatchObject({ ok: false, reason: expect.stringMatching(/unreadable/) });
    const pua = Array.from({ length: 200 }, (_, i) => String.fromCharCode(0xe000 + (i % 90))).join('');
    expect(assessText(`${pua} abc`).ok).toBe(false);
    const soup = '#$%&*@!~^+=<>{}[]|\\/;:'.repeat(10) + ' ab cd ef';
    expect(assessText(soup)).toMatchObject({ ok: false, reason: expect.stringMatching(/symbol soup/) });
    const consonants = 'bcdfg hjklm npqrst vwxz brtk sdfg hjkl mnbv cxzq wrtp '.repeat(4);
    expect(assessText(consonants)).toMatchObject({ ok: false, reason: expect.stringMatching(/no vowel/) });
  });
});
