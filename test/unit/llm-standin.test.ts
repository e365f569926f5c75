import { Tiktoken } from 'js-tiktoken/lite';
import cl100k_base from 'js-tiktoken/ranks/cl100k_base';
import o200k_base from 'js-tiktoken/ranks/o200k_base';
import OpenAI from 'openai';
import type { APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { classifyIntent, NO_ANSWER, parseContext } from '../helpers/llm-standin/chat';
import { cosine, embed, fromBase64, similarity } from '../helpers/llm-standin/embed';
import { start } from '../helpers/llm-standin/server';
import type { LlmStandin } from '../helpers/llm-standin/server';

/**
 * The OpenAI-compatible LLM STAND-IN (test/helpers/llm-standin, NOT OpenAI), driven by the official
 * `openai` client as the tenant bot and the ingestion would drive the real API.
 */

// The tokenizers, straight from js-tiktoken (not through the stand-in's tokens.ts).
const ranks = { cl100k_base, o200k_base };
const encodings = new Map<keyof typeof ranks, Tiktoken>();
const getEncoding = (name: keyof typeof ranks): Tiktoken => {
  if (!encodings.has(name)) encodings.set(name, new Tiktoken(ranks[name]));
  return encodings.get(name)!;
};

const KEY = 'sk-standin-test-key-0123456789';
let llm: LlmStandin;
let client: OpenAI;

beforeAll(async () => {
  llm = await start({ port: 0, apiKey: KEY });
  client = new OpenAI({ baseURL: llm.baseUrl, apiKey: KEY, maxRetries: 0 });
});
afterAll(() => llm.close());
beforeEach(() => llm.reset());

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

const post = (path: string, body: unknown, key: string | null = KEY) =>
  fetch(`${llm.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const DELIVERY =
  'Доставка по Алматы занимает 1–2 рабочих дня и стоит 1500 тенге. При заказе от 20 000 тенге доставка бесплатная. Курьер звонит за час до приезда.';
const RETURNS =
  'Вернуть товар можно в течение 14 дней с момента покупки. Для возврата нужен чек и сохранённая упаковка. Деньги возвращаются на карту за 5–10 дней.';
const HOURS =
  'Магазин работает ежедневно с 9:00 до 21:00 без выходных. В праздничные дни график может меняться.';
const PAYMENT = 'Оплатить заказ можно картой Visa или Mastercard, через Kaspi QR или наличными курьеру.';

const CLASSIFIER_SYSTEM = [
  'Ты — классификатор интентов. Проанализируй сообщение пользователя и верни JSON:',
  '{"intent": "greeting|faq|complex|escalate", "confidence": 0.0-1.0}',
].join('\n');

const ragSystem = (sources: string[]) =>
  [
    'Ты — ассистент, ассистент компании в чате с клиентом.',
    'Опирайся только на факты из раздела «Контекст».',
    '',
    'Контекст:',
    sources.length ? sources.join('\n\n') : '(в базе знаний ничего не найдено)',
  ].join('\n');
const CONTEXT = [
  `[1] (vozvrat.md) ${RETURNS}`,
  `[2] (dostavka.pdf) ${DELIVERY}`,
  `[3] ${HOURS}`,
  `[4] (oplata.docx) ${PAYMENT}`,
];

describe('embeddings', () => {
  it('answers OpenAI’s shape, with each model’s size and `dimensions` for the -3 models', async () => {
    const r = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['доставка', 'возврат'],
      encoding_format: 'float',
    });
    expect(r.object).toBe('list');
    expect(r.model).toBe('text-embedding-3-small');
    expect(r.data.map((d) => [d.object, d.index, d.embedding.length])).toEqual([
      ['embedding', 0, 1536],
      ['embedding', 1, 1536],
    ]);
    const norm = Math.hypot(...r.data[0]!.embedding);
    expect(norm).toBeCloseTo(1, 5);
    for (const [model, dims] of [
      ['text-embedding-3-large', 3072],
      ['text-embedding-ada-002', 1536],
      ['some-local-model', 1536],
    ] as const) {
      const e = await client.embeddings.create({ model, input: 'текст', encoding_format: 'float' });
      expect(e.data[0]!.embedding, model).toHaveLength(dims);
    }
    const small = await client.embeddings.create({
      model: 'text-embedding-3-large',
      input: 'текст',
      dimensions: 256,
      encoding_format: 'float',
    });
    expect(small.data[0]!.embedding).toHaveLength(256);
    const ada = await caught(
      client.embeddings.create({ model: 'text-embedding-ada-002', input: 'x', dimensions: 8 }),
    );
    expect(ada).toBeInstanceOf(OpenAI.BadRequestError);
    const tooMany = await caught(
      client.embeddings.create({ model: 'text-embedding-3-small', input: 'x', dimensions: 2000 }),
    );
    expect((tooMany as APIError).param).toBe('dimensions');
  });

  it('is deterministic, and base64 (the client’s default) carries the same float32 values', async () => {
    const text = 'Сколько стоит доставка по Алматы?';
    const float = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: text,
      encoding_format: 'float',
    });
    // Without encoding_format the official client asks for base64 and decodes it.
    const viaClient = await client.embeddings.create({ model: 'text-embedding-3-small', input: text });
    expect(llm.requests().at(-1)!.body).toMatchObject({ encoding_format: 'base64' });
    expect(viaClient.data[0]!.embedding).toEqual(float.data[0]!.embedding);
    const raw = (await (
      await post('/v1/embeddings', {
        model: 'text-embedding-3-small',
        input: text,
        encoding_format: 'base64',
      })
    ).json()) as { data: Array<{ embedding: string }> };
    expect(typeof raw.data[0]!.embedding).toBe('string');
    expect(raw.data[0]!.embedding).toHaveLength(8192); // 1536 float32s = 6144 bytes
    const bytes = Buffer.from(raw.data[0]!.embedding, 'base64');
    expect(bytes.readFloatLE(0)).toBe(float.data[0]!.embedding[0]);
    expect(fromBase64(raw.data[0]!.embedding)).toEqual(float.data[0]!.embedding);
    expect(embed(text, 1536)).toEqual(float.data[0]!.embedding);
  });

  it('reads token arrays with the tokenizer, and counts usage as js-tiktoken does', async () => {
    const enc = getEncoding('cl100k_base');
    const texts = ['Доставка бесплатная от 20 000 тенге.', 'Return within 14 days.'];
    const byText = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: texts,
      encoding_format: 'float',
    });
    const expected = texts.reduce((n, t) => n + enc.encode(t).length, 0);
    expect(byText.usage).toEqual({ prompt_tokens: expected, total_tokens: expected });
    const byTokens = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: texts.map((t) => enc.encode(t)),
      encoding_format: 'float',
    });
    expect(byTokens.data.map((d) => d.embedding)).toEqual(byText.data.map((d) => d.embedding));
    expect(byTokens.usage.prompt_tokens).toBe(expected);
    const one = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: enc.encode(texts[0]!),
      encoding_format: 'float',
    });
    expect(one.data).toHaveLength(1);
    expect(one.data[0]!.embedding).toEqual(byText.data[0]!.embedding);
    expect(llm.requests().map((r) => r.usage?.prompt_tokens)).toEqual([
      expected,
      expected,
      enc.encode(texts[0]!).length,
    ]);
  });

  it('refuses what OpenAI refuses: an empty string, over 2048 inputs, an input over 8192 tokens', async () => {
    const cases: Array<[unknown, string]> = [
      ['', 'invalid'],
      [['ok', ''], 'invalid'],
      [[], 'invalid'],
      [Array.from({ length: 2049 }, () => 'a'), 'maximum length 2048'],
      ['слово '.repeat(9000), 'maximum context length is 8192 tokens'],
    ];
    for (const [input, says] of cases) {
      const e = (await caught(
        client.embeddings.create({ model: 'text-embedding-3-small', input: input as string }),
      )) as APIError;
      expect(e, JSON.stringify(input).slice(0, 40)).toBeInstanceOf(OpenAI.BadRequestError);
      expect(e.type).toBe('invalid_request_error');
      expect(e.message).toContain(says);
    }
    const ok = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: Array.from({ length: 2048 }, (_, i) => `абзац ${i}`),
      dimensions: 64,
      encoding_format: 'float',
    });
    expect(ok.data).toHaveLength(2048);
    expect(ok.data[2047]!.index).toBe(2047);
  });

  it('makes similar Russian texts clearly closer than unrelated ones', async () => {
    const forms = ['доставка', 'доставку', 'доставки'];
    for (const a of forms)
      for (const b of forms) if (a !== b) expect(similarity(a, b), `${a}~${b}`).toBeGreaterThan(0.4);
    expect(similarity('доставка', 'возврат')).toBeLessThan(0.1);
    expect(similarity('ёлка', 'елка')).toBeCloseTo(1, 6);

    const paragraphs = [DELIVERY, RETURNS, HOURS, PAYMENT];
    const r = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: [
        'Сколько стоит доставку заказать?',
        'Как оформить возврат товара?',
        'Можно оплатить через Kaspi?',
        ...paragraphs,
      ],
      encoding_format: 'float',
    });
    const v = r.data.map((d) => d.embedding);
    const ranking = (q: number) =>
      paragraphs
        .map((_, i) => ({ i, s: cosine(v[q]!, v[3 + i]!) }))
        .sort((a, b) => b.s - a.s)
        .map((x) => x.i);
    expect(ranking(0)[0]).toBe(0); // delivery
    expect(ranking(1)[0]).toBe(1); // returns
    expect(ranking(2)[0]).toBe(3); // payment
    const deliveryQ = cosine(v[0]!, v[3]!);
    const returnsP = cosine(v[0]!, v[4]!);
    expect(deliveryQ).toBeGreaterThan(0.3);
    expect(deliveryQ).toBeGreaterThan(3 * returnsP);
  });
});

describe('chat completions', () => {
  it('answers a real ChatCompletion with usage counted by the cookbook’s rule', async () => {
    const messages = [
      { role: 'system' as const, content: 'Ты — вежливый ассистент.' },
      { role: 'user' as const, content: 'Расскажи что-нибудь про наш магазин, пожалуйста.' },
    ];
    for (const [model, encoding] of [
      ['gpt-4.1-mini', 'o200k_base'],
      ['gpt-4', 'cl100k_base'],
    ] as const) {
      const r = await client.chat.completions.create({ model, messages, temperature: 0.3 });
      expect(r.id).toMatch(/^chatcmpl-/);
      expect(r.object).toBe('chat.completion');
      expect(r.model).toBe(model);
      expect(Math.abs(r.created - Date.now() / 1000)).toBeLessThan(5);
      expect(r.choices).toHaveLength(1);
      const choice = r.choices[0]!;
      expect(choice).toMatchObject({ index: 0, finish_reason: 'stop', logprobs: null });
      expect(choice.message).toMatchObject({ role: 'assistant', refusal: null });
      expect(choice.message.content).toBe(
        'Ответ стенда (stand-in): Расскажи что-нибудь про наш магазин, пожалуйста.',
      );
      const enc = getEncoding(encoding);
      const prompt = messages.reduce(
        (n, m) => n + 3 + enc.encode(m.role).length + enc.encode(m.content).length,
        3,
      );
      const completion = enc.encode(choice.message.content!).length;
      expect(r.usage).toMatchObject({
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
      });
      expect(llm.requests().at(-1)).toMatchObject({
        path: '/v1/chat/completions',
        model,
        status: 200,
        stage: 'echo',
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      });
    }
  });

  it('the echo takes the first 80 characters, and max_tokens cuts the reply with finish_reason length', async () => {
    const long = 'а'.repeat(50) + 'б'.repeat(50);
    const r = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: long }],
    });
    expect(r.choices[0]!.message.content).toBe(`Ответ стенда (stand-in): ${long.slice(0, 80)}`);
    const cut = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      max_tokens: 3,
      messages: [{ role: 'user', content: long }],
    });
    expect(cut.choices[0]!.finish_reason).toBe('length');
    expect(cut.usage!.completion_tokens).toBe(3);
    expect(r.choices[0]!.message.content!.startsWith(cut.choices[0]!.message.content!)).toBe(true);
  });

  it('classifies intents like the tenant workflow’s classifier prompt expects', async () => {
    const cases: Array<[string, string]> = [
      ['Здравствуйте!', 'greeting'],
      ['Спасибо, до свидания', 'greeting'],
      ['Сәлем', 'greeting'],
      ['Сколько стоит доставка в Астану?', 'faq'],
      ['Привет, во сколько вы открываетесь?', 'faq'],
      ['Почему у вас дороже? Сравните ваши тарифы с конкурентами', 'complex'],
      ['Посоветуйте, что лучше взять для офиса', 'complex'],
      ['Если закажу сегодня, то когда привезут?', 'complex'],
      ['Это безобразие, верните деньги!', 'escalate'],
      ['Соедините с живым человеком', 'escalate'],
      ['Хочу оставить жалобу на курьера', 'escalate'],
    ];
    const got: string[] = [];
    for (const [text] of cases) {
      const r = await client.chat.completions.create({
        model: 'gpt-4.1-mini',
        temperature: 0,
        max_tokens: 60,
        messages: [
          { role: 'system', content: CLASSIFIER_SYSTEM },
          { role: 'user', content: `Сообщение: ${text}` },
        ],
      });
      const content = r.choices[0]!.message.content!;
      // Parsed as the workflow's «Read intent» node does.
      const parsed = JSON.parse(content.match(/\{[\s\S]*?\}/)![0]) as { intent: string; confidence: number };
      expect(parsed.confidence).toBe(0.9);
      got.push(parsed.intent);
    }
    expect(got).toEqual(cases.map((c) => c[1]));
    expect(llm.requests().map((r) => r.stage)).toEqual(cases.map(() => 'classify'));
    expect(llm.requests().map((r) => r.intent)).toEqual(got);
    expect(classifyIntent('слово '.repeat(30))).toBe('complex');
  });

  it('a classify override in the mode comes first, set over the control API', async () => {
    const set = await post('/__standin/mode', { classify: { доставк: 'escalate' } }, null);
    expect(set.status).toBe(200);
    const ask = (text: string) =>
      client.chat.completions.create({
        model: 'gpt-4.1-mini',
        messages: [
          { role: 'system', content: CLASSIFIER_SYSTEM },
          { role: 'user', content: `Сообщение: ${text}` },
        ],
      });
    expect((await ask('Где моя доставка?')).choices[0]!.message.content).toContain('"escalate"');
    expect((await ask('Где мой заказ?')).choices[0]!.message.content).toContain('"faq"');
    const bad = await post('/__standin/mode', { classify: { '(': 'faq' } }, null);
    expect(bad.status).toBe(400);
    const wrongIntent = await post('/__standin/mode', { classify: { x: 'panic' } }, null);
    expect(wrongIntent.status).toBe(400);
    expect(
      ((await (await fetch(`${llm.url}/__standin/mode`)).json()) as { mode: unknown }).mode,
    ).toMatchObject({
      classify: { доставк: 'escalate' },
    });
  });

  it('answers from the numbered context: the right source’s sentence, cited', async () => {
    const history = [
      { role: 'user' as const, content: 'Здравствуйте' },
      { role: 'assistant' as const, content: 'Здравствуйте! Чем помочь?' },
    ];
    const ask = (question: string, sources = CONTEXT, prior = history) =>
      client.chat.completions.create({
        model: 'gpt-4.1-mini',
        messages: [
          { role: 'system', content: ragSystem(sources) },
          ...prior,
          { role: 'user', content: question },
        ],
      });
    const delivery = (await ask('Сколько стоит доставка?')).choices[0]!.message.content!;
    expect(delivery).toBe('Доставка по Алматы занимает 1–2 рабочих дня и стоит 1500 тенге. [2]');
    const returns = (await ask('Как вернуть товар, нужен ли чек?')).choices[0]!.message.content!;
    expect(returns).toMatch(/\[1\]$/);
    expect(returns).toContain('чек');
    const pay = (await ask('Можно ли оплатить через Kaspi QR?', CONTEXT, [])).choices[0]!.message.content!;
    expect(pay).toBe(`${PAYMENT} [4]`);
    expect(llm.requests().map((r) => [r.stage, r.source, r.historyLength])).toEqual([
      ['rag', 2, 2],
      ['rag', 1, 2],
      ['rag', 4, 0],
    ]);
    const parsed = parseContext(ragSystem(CONTEXT))!;
    expect(parsed.map((s) => [s.n, s.filename])).toEqual([
      [1, 'vozvrat.md'],
      [2, 'dostavka.pdf'],
      [3, null],
      [4, 'oplata.docx'],
    ]);
    expect(parsed[1]!.text).toBe(DELIVERY);
  });

  it('says it has no answer when the context is empty or nothing in it is near', async () => {
    const empty = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages: [
        { role: 'system', content: ragSystem([]) },
        { role: 'user', content: 'Сколько стоит доставка?' },
      ],
    });
    expect(empty.choices[0]!.message.content).toBe(NO_ANSWER);
    const far = await client.chat.completions.create({
      model: 'gpt-4.1',
      messages: [
        { role: 'system', content: ragSystem(CONTEXT) },
        { role: 'user', content: 'Какая погода в Москве?' },
      ],
    });
    expect(far.choices[0]!.message.content).toBe(NO_ANSWER);
    expect(llm.requests().map((r) => [r.stage, r.source])).toEqual([
      ['no-answer', undefined],
      ['no-answer', undefined],
    ]);
  });

  it('refuses streaming and a request without messages', async () => {
    const e = (await caught(
      client.chat.completions.create({
        model: 'gpt-4.1-mini',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    )) as APIError;
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect(e.message).toContain('the stand-in does not stream');
    expect(e.param).toBe('stream');
    const none = await post('/v1/chat/completions', { model: 'gpt-4.1-mini' });
    expect(none.status).toBe(400);
    expect(await none.json()).toEqual({
      error: {
        message: "Missing required parameter: 'messages'.",
        type: 'invalid_request_error',
        param: 'messages',
        code: 'missing_required_parameter',
      },
    });
    const notJson = await post('/v1/chat/completions', '{nope');
    expect(notJson.status).toBe(400);
  });
});

describe('models, auth, headers', () => {
  it('lists and retrieves the models as the stand-in’s', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) {
      expect(m.owned_by).toBe('truffles-standin');
      ids.push(m.id);
    }
    expect(ids).toEqual(
      expect.arrayContaining(['gpt-4.1-mini', 'text-embedding-3-small', 'text-embedding-3-large']),
    );
    expect(await client.models.retrieve('gpt-4.1')).toMatchObject({ id: 'gpt-4.1', object: 'model' });
    const e = (await caught(client.models.retrieve('gpt-99'))) as APIError;
    expect(e).toBeInstanceOf(OpenAI.NotFoundError);
    expect(e.code).toBe('model_not_found');
  });

  it('needs the API key it was started with (OpenAI’s 401 envelope)', async () => {
    const wrong = new OpenAI({ baseURL: llm.baseUrl, apiKey: 'sk-wrong', maxRetries: 0 });
    const e = (await caught(
      wrong.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
    )) as APIError;
    expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(e.status).toBe(401);
    expect(e.code).toBe('invalid_api_key');
    expect(e.type).toBe('invalid_request_error');
    const none = await post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' }, null);
    expect(none.status).toBe(401);
    const body = (await none.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: 'invalid_api_key' });
    expect(String(body.error.message)).toContain("You didn't provide an API key");
    expect(llm.requests().map((r) => [r.status, r.fault])).toEqual([
      [401, 'auth'],
      [401, 'auth'],
    ]);
  });

  it('sends OpenAI’s headers, says it is a stand-in, and 404s unknown paths in the envelope', async () => {
    const r = await post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-standin')).toBe('llm');
    expect(r.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(Number(r.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(0);
    expect(r.headers.get('x-ratelimit-limit-requests')).toBe('10000');
    expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('9999');
    const root = await fetch(`${llm.url}/`);
    expect(await root.text()).toMatch(/STAND-IN.*NOT OpenAI/);
    const lost = await post('/v1/completions', { model: 'x', prompt: 'y' });
    expect(lost.status).toBe(404);
    expect(await lost.json()).toEqual({
      error: {
        message: 'Invalid URL (POST /v1/completions)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  it('gives 127.0.0.1 in its url when listening on 0.0.0.0, and logs that it is a stand-in', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let logged = '';
    const any = await start({ host: '0.0.0.0', quiet: false }).finally(() => {
      logged = write.mock.calls.map((c) => String(c[0])).join('');
      write.mockRestore();
    });
    try {
      expect(logged).toContain(
        `OpenAI API STAND-IN for Truffles tests (NOT OpenAI, no model) listening on http://127.0.0.1:${any.port}`,
      );
      expect(any.url).toBe(`http://127.0.0.1:${any.port}`);
      expect(any.baseUrl).toBe(`${any.url}/v1`);
      const c = new OpenAI({ baseURL: any.baseUrl, apiKey: 'anything', maxRetries: 0 });
      expect((await c.models.retrieve('gpt-4o')).owned_by).toBe('truffles-standin');
    } finally {
      await any.close();
    }
  });
});

describe('faults', () => {
  const embedOnce = () =>
    post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'x', dimensions: 8 });

  it('rateLimit answers about its ratio of 429s, repeatably, with retry-after', async () => {
    llm.setMode({ rateLimit: { ratio: 0.3, retryAfter: 1, seed: 42 } });
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await embedOnce();
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.headers.get('retry-after')).toBe('1');
        expect(r.headers.get('retry-after-ms')).toBe('1000');
        const body = (await r.json()) as { error: Record<string, unknown> };
        expect(body.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded', param: null });
      } else await r.body?.cancel();
    }
    const limited = statuses.filter((s) => s === 429).length;
    expect(limited).toBeGreaterThanOrEqual(20);
    expect(limited).toBeLessThanOrEqual(40);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(llm.requests().filter((r) => r.fault === 'rateLimit')).toHaveLength(limited);
    // The same seed again: the same requests are refused.
    llm.reset();
    llm.setMode({ rateLimit: { ratio: 0.3, retryAfter: 1, seed: 42 } });
    const again: number[] = [];
    for (let i = 0; i < 100; i++) {
      const r = await embedOnce();
      again.push(r.status);
      await r.body?.cancel();
    }
    expect(again).toEqual(statuses);
  });

  it('the official client retries through the 429s (retry-after-ms) and succeeds', async () => {
    llm.setMode({ rateLimit: { ratio: 0.3, retryAfterMs: 5, seed: 3 } });
    const retrying = new OpenAI({ baseURL: llm.baseUrl, apiKey: KEY, maxRetries: 6 });
    for (let i = 0; i < 15; i++) {
      const r = await retrying.embeddings.create({ model: 'text-embedding-3-small', input: `вопрос ${i}` });
      expect(r.data[0]!.embedding).toHaveLength(1536);
    }
    const statuses = llm.requests().map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(15);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    // Without retries the client meets a 429 within a few calls, and sees its headers.
    let plain: unknown = null;
    for (let i = 0; i < 20 && !plain; i++)
      plain = await client.models.list().then(
        () => null,
        (e: unknown) => e,
      );
    expect(plain).toBeInstanceOf(OpenAI.RateLimitError);
    expect((plain as APIError).headers?.get('retry-after-ms')).toBe('5');
  });

  it('failNext fails the next N requests with 500, 502, 503 or a cut connection', async () => {
    llm.setMode({ failNext: 2, failWith: 500 });
    for (let i = 0; i < 2; i++) {
      const e = (await caught(client.models.list())) as APIError;
      expect(e).toBeInstanceOf(OpenAI.InternalServerError);
      expect(e.status).toBe(500);
      expect(e.type).toBe('server_error');
    }
    expect((await client.models.retrieve('gpt-4o')).id).toBe('gpt-4o');

    llm.setMode({ failNext: 1, failWith: 502 });
    const bad = await embedOnce();
    expect(bad.status).toBe(502);
    expect(bad.headers.get('content-type')).toContain('text/html');
    expect(await bad.text()).toContain('502 Bad Gateway');

    llm.setMode({ failNext: 1, failWith: 503 });
    expect(((await caught(client.models.list())) as APIError).status).toBe(503);

    llm.setMode({ failNext: 1, failWith: 'reset' });
    const cut = await caught(client.models.list());
    expect(cut).toBeInstanceOf(OpenAI.APIConnectionError);
    expect((await client.models.retrieve('gpt-4o')).id).toBe('gpt-4o');
    expect(llm.requests().map((r) => r.status)).toEqual([500, 500, 200, 502, 503, 'reset', 200]);
  });

  it('failWith hang never answers until reset', async () => {
    await post('/__standin/mode', { failNext: 1, failWith: 'hang' }, null);
    let settled = false;
    const pending = caught(client.models.list()).finally(() => (settled = true));
    for (let i = 0; i < 100 && llm.requests().length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    expect(llm.requests()[0]!.status).toBe('hang');
    await post('/__standin/reset', {}, null);
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(llm.requests()).toEqual([]);
  });

  it('latencyMs delays answers; tokensPerMinute answers 429 past the minute’s tokens', async () => {
    llm.setMode({ latencyMs: 120 });
    const t0 = Date.now();
    await client.models.list();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);

    llm.setMode({ latencyMs: 0, tokensPerMinute: 30 });
    const enc = getEncoding('cl100k_base');
    const text = 'Доставка по Алматы занимает два дня';
    const n = enc.encode(text).length;
    expect(n).toBeLessThanOrEqual(30);
    expect(2 * n).toBeGreaterThan(30);
    await client.embeddings.create({ model: 'text-embedding-3-small', input: text });
    const e = (await caught(
      client.embeddings.create({ model: 'text-embedding-3-small', input: text }),
    )) as APIError;
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e.type).toBe('tokens');
    expect(Number(e.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(llm.requests().map((r) => r.fault)).toEqual([null, null, 'tokensPerMinute']);
  });

  it('the control API gives the requests and refuses an unknown mode', async () => {
    await embedOnce();
    const list = (await (await fetch(`${llm.url}/__standin/requests`)).json()) as { requests: unknown[] };
    expect(list.requests).toHaveLength(1);
    expect(list.requests[0]).toMatchObject({ path: '/v1/embeddings', status: 200, stage: 'embeddings' });
    const bad = await post('/__standin/mode', { explode: true }, null);
    expect(bad.status).toBe(400);
    expect(() => llm.setMode({ failWith: 418 as never })).toThrow(/failWith/);
  });
});
