import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SlugSchema } from '../../shared/contract';
import type { CostView, Money } from '../../shared/contract/cost';
import { BudgetSchema, PriceEntrySchema, RateSchema } from '../../shared/contract/cost';
import { hostOption, parseArg, UsageError } from './args';
import { tenantVerb, verb, type CliContext } from './context';
import { table } from './format';

type By = 'day' | 'model' | 'tenant' | 'stage';
const BYS: By[] = ['day', 'model', 'tenant', 'stage'];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const usd = (v: string): string =>
  `$${Number(v).toFixed(Number(v) !== 0 && Math.abs(Number(v)) < 0.01 ? 6 : 2)}`;
const kzt = (v: string | null): string => (v === null ? '— ₸' : `${Number(v).toFixed(2)} ₸`);
const both = (m: Money): string => `${kzt(m.kzt)}  ${usd(m.usd)}`;

function rows(v: CostView, by: By): Array<Record<string, string | number>> {
  const base = (u: {
    calls: number;
    inputTokens: number;
    outputTokens: number;
    cost: Money;
    unpricedCalls: number;
  }) => ({
    calls: u.calls,
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
    usd: u.cost.usd,
    kzt: u.cost.kzt ?? '',
    unpriced_calls: u.unpricedCalls,
  });
  if (by === 'day')
    return v.byDay.map((d) => ({
      day: d.day,
      ...base(d),
      rate: d.rate?.kztPerUsd ?? '',
      anomaly: d.anomaly ? 'yes' : '',
    }));
  if (by === 'model') return v.byModel.map((m) => ({ provider: m.provider, model: m.model, ...base(m) }));
  if (by === 'stage') return v.byStage.map((s) => ({ stage: s.stage, ...base(s) }));
  return v.byTenant.map((t) => ({
    host: t.host,
    tenant: t.tenant,
    ...base(t),
    conversations: t.conversations,
  }));
}

function csv(list: Array<Record<string, string | number>>): string {
  if (list.length === 0) return '';
  const keys = Object.keys(list[0]!);
  const cell = (x: string | number): string => {
    const s = String(x);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.join(','), ...list.map((r) => keys.map((k) => cell(r[k] ?? '')).join(','))].join('\n');
}

function viewText(v: CostView, by: By): string {
  const t = v.totals;
  const lines = [
    `AI cost ${v.from} … ${v.to} (days in Asia/Almaty; prices ${v.priceVersion ?? '—'})`,
    `  total        ${both(t.cost)}   ${t.calls} calls, ${t.inputTokens} in / ${t.outputTokens} out tokens`,
  ];
  if (v.projection) lines.push(`  month end    ${both(v.projection)} (at this month's pace)`);
  if (t.unpricedCalls)
    lines.push(
      `  unpriced     ${t.unpricedCalls} calls of models with no price: their cost is unknown, not zero`,
    );
  if (v.conversations.count)
    lines.push(
      `  per dialog   p50 ${v.conversations.p50 ? both(v.conversations.p50) : '—'}, p95 ${v.conversations.p95 ? both(v.conversations.p95) : '—'} over ${v.conversations.count} conversations (target < ${v.conversations.targetKzt} ₸${v.conversations.overTarget !== null ? `; ${(v.conversations.overTarget * 100).toFixed(1)} % over` : ''})`,
    );
  if (v.rates.latest)
    lines.push(
      `  rate         ${v.rates.latest.kztPerUsd} ₸/$ on ${v.rates.latest.date} (National Bank; each day at its own)`,
    );
  else
    lines.push(
      '  rate         none: import the National Bank rates (truffles cost rates import FILE) to see tenge',
    );
  if (v.rates.missing.length) lines.push(`  no rate for  ${v.rates.missing.join(', ')}`);
  for (const h of v.hosts.filter((x) => !x.ok)) lines.push(`  ! ${h.host}: ${h.error ?? 'failed'}`);
  const list = rows(v, by);
  if (list.length) {
    const keys = Object.keys(list[0]!);
    lines.push('', table([keys, ...list.map((r) => keys.map((k) => String(r[k] ?? '')))]));
  }
  const flagged = v.byDay.filter((d) => d.anomaly);
  if (flagged.length)
    lines.push(
      '',
      ...flagged.map(
        (d) =>
          `! ${d.day}: ${usd(d.cost.usd)} is over 3× the median of the 7 days before (${usd(d.median7Usd ?? '0')})`,
      ),
    );
  return lines.join('\n');
}

/** Rates from a CSV file: `YYYY-MM-DD,512.34` or `YYYY-MM-DD;512,34` per line, a header allowed. */
export function parseRatesCsv(text: string): {
  rates: Array<{ date: string; kztPerUsd: string }>;
  errors: string[];
} {
  const rates: Array<{ date: string; kztPerUsd: string }> = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(\d{4}-\d{2}-\d{2})\s*[,;\t]\s*"?(\d{1,5}(?:[.,]\d{1,6})?)"?$/.exec(line);
    if (!m) {
      if (i === 0 && !/\d{4}-\d{2}-\d{2}/.test(line)) return; // a header
      errors.push(`line ${i + 1}: "${line.slice(0, 60)}" is not "YYYY-MM-DD,rate"`);
      return;
    }
    const r = RateSchema.safeParse({ date: m[1], kztPerUsd: m[2]!.replace(',', '.') });
    if (!r.success || Number(r.data.kztPerUsd) <= 0)
      errors.push(`line ${i + 1}: the rate must be a positive number`);
    else rates.push(r.data);
  });
  return { rates, errors };
}

/**
 * `truffles cost [--host H] [--tenant S] [--from D --to D] [--by day|model|tenant|stage] [--json|--csv]`
 * and its verbs: conversation, prices, prices-set, reprice, rates, rates-import, budget.
 */
export function registerCostCommands(program: Command, ctx: CliContext): void {
  const { getCore, print, io } = ctx;
  const where = (o: { host?: string }): { host?: string } => {
    const host = hostOption(o.host);
    return host ? { host } : {};
  };
  const day = (v: string | undefined, what: string): string | undefined => {
    if (v === undefined) return undefined;
    if (!DAY.test(v))
      throw new UsageError('usage.invalid', `${what} '${v}' is not a day.`, 'Write it YYYY-MM-DD.');
    return v;
  };
  const cost = program
    .command('cost')
    .description('AI cost of the fleet, a host or a tenant: $ and ₸ (this month to date unless --from/--to)')
    .option('--json', 'machine-readable output')
    .option('--csv', 'the rows (--by) as CSV')
    .option('--host <name>', 'one host')
    .option('--tenant <slug>', 'one tenant')
    .option('--from <day>', 'first day, YYYY-MM-DD (Asia/Almaty)')
    .option('--to <day>', 'last day, YYYY-MM-DD')
    .option('--by <what>', 'rows by day, model, tenant or stage', 'day')
    .action(
      async (o: {
        host?: string;
        tenant?: string;
        from?: string;
        to?: string;
        by: string;
        csv?: boolean;
      }) => {
        if (!BYS.includes(o.by as By))
          throw new UsageError(
            'usage.invalid',
            `--by ${o.by} is not one of ${BYS.join(', ')}.`,
            'Use --by day, model, tenant or stage.',
          );
        const tenant = o.tenant !== undefined ? parseArg(SlugSchema, o.tenant, '--tenant') : undefined;
        const from = day(o.from, '--from');
        const to = day(o.to, '--to');
        const v = await getCore().call('cost.view', {
          ...where(o),
          ...(tenant ? { tenant } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
        });
        if (o.csv) io.out(csv(rows(v, o.by as By)));
        else print(viewText(v, o.by as By), v);
        if (v.hosts.some((h) => !h.ok)) ctx.setExitCode(1);
      },
    );

  tenantVerb(
    cost,
    'conversation <slug> <id>',
    "a conversation's messages with each call and its cost",
  ).action(async (slugArg: string, id: string, o: { host?: string }) => {
    const tenant = parseArg(SlugSchema, slugArg, 'SLUG');
    const r = await getCore().call('cost.conversation', { tenant, conversationId: id, ...where(o) });
    const lines = [
      `${r.tenant} conversation ${r.conversationId} (${r.channel ?? '—'}, ${r.status ?? '—'}): ${both(r.cost)}`,
    ];
    for (const m of r.messages) {
      lines.push(`${m.at}  ${m.sender.padEnd(8)} ${(m.text ?? '').replace(/\s+/g, ' ').slice(0, 100)}`);
      for (const c of m.calls)
        lines.push(
          `    ${c.stage} ${c.model} ${c.inputTokens}/${c.outputTokens} tokens ${c.costUsd === null ? 'unpriced' : usd(c.costUsd)}`,
        );
    }
    print(lines.join('\n'), r);
  });

  verb(cost, 'prices', 'the price table on each host (USD per 1M tokens)')
    .option('--host <name>', 'one host')
    .action(async (o: { host?: string }) => {
      const r = await getCore().call('cost.prices', where(o));
      const text = r
        .map(
          (h) =>
            `${h.host}: version ${h.table.version}\n` +
            table([
              ['provider', 'model', 'input', 'cached', 'output', 'from', 'to', 'tenant', 'checked'],
              ...h.table.entries.map((e) => [
                e.provider,
                e.model,
                e.usd.input,
                e.usd.cachedInput ?? '',
                e.usd.output ?? '',
                e.from,
                e.to ?? '',
                e.tenant ?? '',
                e.checkedOn ?? 'not checked',
              ]),
            ]),
        )
        .join('\n\n');
      print(text, r);
    });

  verb(cost, 'prices-set <model>', 'add or replace a price (a new version of the table on each host)')
    .option('--host <name>', 'one host')
    .requiredOption('--input <usd>', 'USD per 1M input tokens')
    .option('--output <usd>', 'USD per 1M output tokens')
    .option('--cached <usd>', 'USD per 1M cached input tokens')
    .option('--provider <name>', 'provider', 'openai')
    .requiredOption('--from <day>', 'in force from this day (UTC)')
    .option('--to <day>', 'until this day (exclusive)')
    .option('--tenant <slug>', 'only for this tenant (an override)')
    .option('--source <text>', 'where the price comes from', 'operator')
    .action(
      async (
        model: string,
        o: {
          host?: string;
          input: string;
          output?: string;
          cached?: string;
          provider: string;
          from: string;
          to?: string;
          tenant?: string;
          source: string;
        },
      ) => {
        const entry = parseArg(
          PriceEntrySchema,
          {
            provider: o.provider,
            model,
            usd: {
              input: o.input,
              ...(o.output ? { output: o.output } : {}),
              ...(o.cached ? { cachedInput: o.cached } : {}),
            },
            from: o.from,
            ...(o.to ? { to: o.to } : {}),
            source: o.source,
            checkedOn: null,
            ...(o.tenant ? { tenant: o.tenant } : {}),
          },
          'price',
        );
        const r = await getCore().call('cost.pricesSet', { entries: [entry], ...where(o) });
        print(r.map((h) => `${h.host}: price table ${h.table.version}`).join('\n'), r);
      },
    );

  tenantVerb(
    cost,
    'reprice <slug>',
    "re-price a tenant's calls of a period with the table in force (a dry run unless --apply)",
  )
    .requiredOption('--from <day>', 'first day (Asia/Almaty)')
    .requiredOption('--to <day>', 'last day')
    .option('--apply', 'change the rows (audited); without it, only the difference is shown')
    .option('--yes', 'confirm --apply')
    .action(
      async (
        slugArg: string,
        o: { host?: string; from: string; to: string; apply?: boolean; yes?: boolean },
      ) => {
        const tenant = parseArg(SlugSchema, slugArg, 'SLUG');
        if (o.apply && !o.yes)
          throw new UsageError(
            'usage.invalid',
            'Re-pricing changes the stored costs.',
            'Run it without --apply first, then add --apply --yes.',
          );
        const r = await getCore().call('cost.reprice', {
          tenant,
          from: day(o.from, '--from')!,
          to: day(o.to, '--to')!,
          apply: o.apply === true,
          ...where(o),
        });
        const lines = [
          `${r.applied ? 'Re-priced' : 'Dry run:'} ${r.tenant} ${r.from} … ${r.to} with prices ${r.priceVersion}: ${r.changed} of ${r.rows} calls ${r.applied ? 'changed' : 'would change'}, ${usd(r.oldUsd)} → ${usd(r.newUsd)} (exactly ${r.oldUsd} → ${r.newUsd})`,
          `unpriced calls: ${r.unpricedBefore} → ${r.unpricedAfter}`,
          ...r.byModel.map((m) => `  ${m.model}: ${m.changed} calls, ${m.oldUsd} → ${m.newUsd}`),
        ];
        print(lines.join('\n'), r);
      },
    );

  verb(cost, 'rates', 'the USD→KZT rates each host holds (newest first)')
    .option('--host <name>', 'one host')
    .option('--limit <n>', 'how many', '14')
    .action(async (o: { host?: string; limit: string }) => {
      const r = await getCore().call('cost.rates', {
        ...where(o),
        limit: Math.max(1, Math.min(5000, Number(o.limit) || 14)),
      });
      print(
        r
          .map(
            (h) =>
              `${h.host}: ${h.count} rates\n` + h.rates.map((x) => `  ${x.date}  ${x.kztPerUsd}`).join('\n'),
          )
          .join('\n'),
        r,
      );
    });

  verb(cost, 'rates-import <file>', "import the National Bank's rates from a CSV (YYYY-MM-DD,rate per line)")
    .option('--host <name>', 'one host')
    .action(async (file: string, o: { host?: string }) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(
          'usage.invalid',
          `Cannot read ${file}: ${(err as Error).message}`,
          'Give the path of a CSV file.',
        );
      }
      const { rates, errors } = parseRatesCsv(text);
      if (errors.length)
        throw new UsageError(
          'usage.invalid',
          `${file}: ${errors.slice(0, 5).join('; ')}`,
          'Fix those lines; nothing was imported.',
        );
      if (!rates.length)
        throw new UsageError('usage.invalid', `${file} has no rates.`, 'Each line: YYYY-MM-DD,512.34');
      const r = await getCore().call('cost.ratesImport', { rates, ...where(o) });
      print(
        r.map((h) => `${h.host}: ${h.added} added, ${h.replaced} replaced, ${h.count} in all`).join('\n'),
        r,
      );
    });

  tenantVerb(cost, 'budget <slug>', "a tenant's monthly budget and this month's spend; --set or --remove it")
    .option('--set <amount>', 'the monthly budget')
    .option('--currency <c>', 'KZT or USD', 'KZT')
    .option(
      '--action <a>',
      'at 100 %: notify, or cheapest (switch the router to its cheapest models)',
      'notify',
    )
    .option('--remove', 'remove the budget')
    .action(
      async (
        slugArg: string,
        o: { host?: string; set?: string; currency: string; action: string; remove?: boolean },
      ) => {
        const tenant = parseArg(SlugSchema, slugArg, 'SLUG');
        const core = getCore();
        if (o.set !== undefined || o.remove) {
          const budget = o.remove
            ? null
            : parseArg(
                BudgetSchema,
                { amount: o.set, currency: o.currency.toUpperCase(), action: o.action },
                'budget',
              );
          await core.call('cost.budgetSet', { tenant, budget, ...where(o) });
        }
        const b = await core.call('cost.budget', { tenant, ...where(o) });
        const lines = [
          `${b.tenant} on ${b.host}, ${b.month}: spent ${both(b.spent)}`,
          b.budget
            ? `budget ${b.budget.amount} ${b.budget.currency} (${b.pct === null ? 'no rate' : `${b.pct} %`}), at 100 %: ${b.budget.action}`
            : 'no budget',
        ];
        if (b.downgraded) lines.push(`router switched to its cheapest models on ${b.downgraded.at}`);
        print(lines.join('\n'), b);
      },
    );
}
