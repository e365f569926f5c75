import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Decimal from 'decimal.js';
import { describe, expect, it } from 'vitest';

type UsageRow = (
  router: unknown,
  eventType: string,
  stage: string,
  model: string,
  body: unknown,
) => { cost_usd: string | null; model: string };

/** Every workflow's usageRow (the code nodes carry their own copy), as n8n runs it. */
function usageRows(): Array<{ where: string; fn: UsageRow }> {
  const out: Array<{ where: string; fn: UsageRow }> = [];
  const files = readdirSync('modules').flatMap((m) => {
    try {
      return readdirSync(join('modules', m, 'workflows')).map((f) => join('modules', m, 'workflows', f));
    } catch {
      return [];
    }
  });
  for (const file of files.filter((f) => f.endsWith('.json'))) {
    const wf = JSON.parse(readFileSync(file, 'utf8')) as {
      nodes: Array<{ name: string; parameters: { jsCode?: string } }>;
    };
    for (const n of wf.nodes) {
      const js = n.parameters.jsCode;
      if (!js?.includes('function usageRow')) continue;
      const head = js.slice(js.indexOf('function usdExact'), js.indexOf('// A short reason'));
      out.push({ where: `${file} ${n.name}`, fn: new Function(`${head}; return usageRow;`)() as UsageRow });
    }
  }
  return out;
}

describe('the workflows bill exact costs', () => {
  const router = {
    prices_usd_per_1m: { 'gpt-4.1': [2, 8], 'gpt-4.1-mini': [0.4, 1.6], 'text-embedding-3-small': [0.02, 0] },
  };
  const rows = usageRows();

  it('every workflow that bills has the same exact pricing', () => {
    expect(rows.length).toBeGreaterThanOrEqual(8);
  });

  it.each(rows.map((r) => [r.where, r.fn] as const))(
    '%s: 20 embedding tokens cost $0.0000004, not 0',
    (_w, fn) => {
      const r = fn(router, 'embedding', 'question_embedding', 'text-embedding-3-small', {
        usage: { prompt_tokens: 20 },
      });
      expect(new Decimal(r.cost_usd!).eq('0.0000004')).toBe(true);
      const m = fn(router, 'llm_call', 'answer', 'gpt-4.1-mini-2025-04-14', {
        usage: { prompt_tokens: 1234, completion_tokens: 77 },
      });
      expect(
        new Decimal(m.cost_usd!).eq(new Decimal(1234).mul('0.4').plus(new Decimal(77).mul('1.6')).div(1e6)),
      ).toBe(true);
      // The longest prefix at a word boundary; an unknown model is unpriced (null), never free.
      expect(
        fn(router, 'llm_call', 'answer', 'gpt-4.1x', { usage: { prompt_tokens: 5 } }).cost_usd,
      ).toBeNull();
      expect(
        fn(router, 'llm_call', 'answer', 'acme-llm', { usage: { prompt_tokens: 5 } }).cost_usd,
      ).toBeNull();
    },
  );
});
