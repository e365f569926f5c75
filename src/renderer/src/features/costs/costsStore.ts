/**
 * The Costs screen's state: the scope (fleet, a host, a tenant — kept in the address), the range
 * of days, the currency the figures are shown in, the view `cost.view` answered for them, the
 * conversation opened, the tenant's budget, the price tables, the rates and their import, and a
 * re-price (a dry run first; applied only after it, with the same inputs, once confirmed).
 * Actions never throw: each part keeps its own error (an ErrorInfo the screen shows in the UI
 * language with the kit's ErrorBox).
 */
import { create } from 'zustand';
import type {
  Budget,
  CommandInput,
  CommandOutput,
  CostView,
  ErrorInfo,
  RepriceView,
} from '../../../../shared/contract';
import { call, toErrorInfo } from '../../api';
import { busySetter } from '../../kit/busy';
import { coalesced } from '../../kit/coalesce';
import { busyRunner } from '../../kit/listStore';
import { DEFAULT_RANGE, FLEET, almatyToday, rangeProblem, sameScope, viewInput } from './costs';
import type { CostScope, Currency, PriceEntry, RangeChoice } from './costs';
import type { Rate } from './rates';

export type CostsTab = 'overview' | 'prices';
export type ConversationRow = CostView['conversations']['top'][number];
export type BudgetView = CommandOutput<'cost.budget'>;
export type PriceTables = CommandOutput<'cost.prices'>;
export type RateTables = CommandOutput<'cost.rates'>;
export type RatesImported = CommandOutput<'cost.ratesImport'>;
export type RepriceInput = Omit<CommandInput<'cost.reprice'>, 'apply'>;

export interface ConversationState {
  row: ConversationRow;
  detail: CommandOutput<'cost.conversation'> | null;
  error: ErrorInfo | null;
}

export interface BudgetState {
  host: string;
  tenant: string;
  value: BudgetView | null;
  error: ErrorInfo | null;
  saveError: ErrorInfo | null;
}

export interface RepriceState {
  /** What the dry run was asked for; Apply sends exactly this. */
  input: RepriceInput;
  dry: RepriceView | null;
  applied: RepriceView | null;
  error: ErrorInfo | null;
  /** The confirmation is open: Apply was asked for and not yet confirmed or cancelled. */
  confirming: boolean;
}

export interface CostsState {
  scope: CostScope;
  range: RangeChoice;
  currency: Currency;
  tab: CostsTab;
  view: CostView | null;
  /** The input the view shown was read with. */
  viewFor: CommandInput<'cost.view'> | null;
  viewAt: string | null;
  viewError: ErrorInfo | null;
  conversation: ConversationState | null;
  budget: BudgetState | null;
  prices: PriceTables | null;
  pricesError: ErrorInfo | null;
  priceSaveError: ErrorInfo | null;
  /** The version the last added price made. */
  priceSaved: string | null;
  rates: RateTables | null;
  ratesError: ErrorInfo | null;
  ratesImport: { result: RatesImported | null; error: ErrorInfo | null } | null;
  reprice: RepriceState | null;
  /** 'view', 'conversation', 'budget', 'budgetSave', 'prices', 'priceSave', 'rates', 'ratesImport', 'reprice', 'repriceApply'. */
  busy: Record<string, boolean>;

  /** Show the fleet, a host or a tenant (with its host); the view is read again. */
  setScope(scope: CostScope): void;
  setRange(range: RangeChoice): void;
  setCurrency(currency: Currency): void;
  setTab(tab: CostsTab): void;
  /** Read the view for the scope and range; `quiet` keeps what is shown when it fails. */
  load(opts?: { quiet?: boolean }): Promise<void>;
  openConversation(row: ConversationRow): Promise<void>;
  closeConversation(): void;
  loadBudget(): Promise<void>;
  /** Set the tenant's budget, or remove it with null. True when saved. */
  saveBudget(budget: Budget | null): Promise<boolean>;
  loadPrices(): Promise<void>;
  /** Add (or replace) one price entry on the scope's host, or on every host. True when saved. */
  addPrice(entry: PriceEntry): Promise<boolean>;
  loadRates(): Promise<void>;
  /** Import rates on every host. True when imported. */
  importRates(rates: readonly Rate[]): Promise<boolean>;
  clearRatesImport(): void;
  /** A dry run of a re-price (nothing is written). */
  repriceDryRun(input: RepriceInput): Promise<void>;
  /** Open the confirmation of the dry run's re-price (only after a dry run that changes rows). */
  askApplyReprice(): void;
  cancelApplyReprice(): void;
  /** Apply the re-price the dry run showed, with its inputs; only once confirmed. True when applied. */
  applyReprice(): Promise<boolean>;
  clearReprice(): void;
}

const viewLoad = coalesced();
const noop = (): void => {};
let clock: () => number = () => Date.now();

const EMPTY = {
  scope: FLEET,
  range: DEFAULT_RANGE,
  currency: 'KZT',
  tab: 'overview',
  view: null,
  viewFor: null,
  viewAt: null,
  viewError: null,
  conversation: null,
  budget: null,
  prices: null,
  pricesError: null,
  priceSaveError: null,
  priceSaved: null,
  rates: null,
  ratesError: null,
  ratesImport: null,
  reprice: null,
  busy: {},
} satisfies Partial<CostsState>;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const hostInput = (s: CostScope): { host?: string } => (s.host ? { host: s.host } : {});

export const useCosts = create<CostsState>()((set, get) => {
  const setBusy = busySetter(set);
  const act = busyRunner(() => get().busy, setBusy);
  const currentInput = (): CommandInput<'cost.view'> =>
    viewInput(get().scope, get().range, almatyToday(clock()));

  return {
    ...EMPTY,

    setScope(scope) {
      const next = scope.host ? scope : FLEET;
      const before = get().scope;
      if (sameScope(before, next)) return;
      const b = get().budget;
      // The figures shown belong to the other scope: they go, the new ones are read.
      set({
        scope: next,
        view: null,
        viewFor: null,
        viewError: null,
        conversation: null,
        budget: b && b.host === next.host && b.tenant === next.tenant ? b : null,
      });
      void get().load();
      if (next.tenant) void get().loadBudget();
      // The prices and rates are the scope's host's (or every host's): read them again.
      if (next.host !== before.host) {
        set({ prices: null, pricesError: null, rates: null, ratesError: null });
        if (get().tab === 'prices') {
          void get().loadPrices();
          void get().loadRates();
        }
      }
    },

    setRange(range) {
      if (same(get().range, range)) return;
      set({ range });
      if (rangeProblem(range)) return;
      set({ view: null, viewFor: null, viewError: null });
      void get().load();
    },

    setCurrency(currency) {
      set({ currency });
    },

    setTab(tab) {
      set({ tab });
      if (tab === 'prices') {
        if (!get().prices) void get().loadPrices();
        if (!get().rates) void get().loadRates();
      }
    },

    load(opts) {
      return viewLoad.run(
        async () => {
          // Read at each run: a change while a read runs makes the next run read the new scope.
          const input = currentInput();
          try {
            const view = await call('cost.view', input);
            if (!same(currentInput(), input)) return;
            set({ view, viewFor: input, viewAt: new Date(clock()).toISOString(), viewError: null });
          } catch (err) {
            if (!same(currentInput(), input)) return;
            set({ viewError: toErrorInfo(err) });
            // Another scope's view is not kept under this one's name.
            if (!opts?.quiet || !same(get().viewFor, input)) set({ view: null, viewFor: null });
          }
        },
        { busy: (on) => setBusy('view', on), fail: noop },
      );
    },

    openConversation(row) {
      set({ conversation: { row, detail: null, error: null } });
      const mine = (): boolean => get().conversation?.row === row;
      return act('conversation', undefined, {
        run: async () => {
          const detail = await call('cost.conversation', {
            host: row.host,
            tenant: row.tenant,
            conversationId: row.conversationId,
          });
          if (mine()) set({ conversation: { row, detail, error: null } });
        },
        fail: (err) => {
          if (mine()) set({ conversation: { row, detail: null, error: toErrorInfo(err) } });
        },
      });
    },

    closeConversation() {
      set({ conversation: null });
    },

    loadBudget() {
      const { host, tenant } = get().scope;
      if (!host || !tenant) return Promise.resolve();
      const mine = (): boolean => get().scope.host === host && get().scope.tenant === tenant;
      const keep = (patch: Partial<BudgetState>): void => {
        const b = get().budget;
        const base: BudgetState =
          b && b.host === host && b.tenant === tenant
            ? b
            : { host, tenant, value: null, error: null, saveError: null };
        set({ budget: { ...base, ...patch } });
      };
      return act('budget', undefined, {
        run: async () => {
          const value = await call('cost.budget', { host, tenant });
          if (mine()) keep({ value, error: null });
        },
        fail: (err) => {
          if (mine()) keep({ error: toErrorInfo(err) });
        },
      });
    },

    saveBudget(budget) {
      const { host, tenant } = get().scope;
      if (!host || !tenant) return Promise.resolve(false);
      return act('budgetSave', false, {
        run: async () => {
          await call('cost.budgetSet', { host, tenant, budget });
          const b = get().budget;
          if (b) set({ budget: { ...b, saveError: null } });
          await get().loadBudget();
          void get().load({ quiet: true });
          return true;
        },
        fail: (err) => {
          const b = get().budget ?? { host, tenant, value: null, error: null, saveError: null };
          set({ budget: { ...b, saveError: toErrorInfo(err) } });
          return false;
        },
      });
    },

    loadPrices() {
      const input = hostInput(get().scope);
      return act('prices', undefined, {
        run: async () => {
          const prices = await call('cost.prices', input);
          set({ prices, pricesError: null });
        },
        fail: (err) => set({ pricesError: toErrorInfo(err) }),
      });
    },

    addPrice(entry) {
      const input = { ...hostInput(get().scope), entries: [entry] };
      set({ priceSaved: null });
      return act('priceSave', false, {
        run: async () => {
          const tables = await call('cost.pricesSet', input);
          // The hosts written answer with their new tables; the others keep theirs.
          const before = get().prices ?? [];
          const written = new Set(tables.map((t) => t.host));
          set({
            prices: [...before.filter((t) => !written.has(t.host)), ...tables],
            priceSaveError: null,
            priceSaved: tables[0]?.table.version ?? null,
          });
          return true;
        },
        fail: (err) => {
          set({ priceSaveError: toErrorInfo(err) });
          return false;
        },
      });
    },

    loadRates() {
      const input = { ...hostInput(get().scope), limit: 10 };
      return act('rates', undefined, {
        run: async () => {
          const rates = await call('cost.rates', input);
          set({ rates, ratesError: null });
        },
        fail: (err) => set({ ratesError: toErrorInfo(err) }),
      });
    },

    importRates(rates) {
      if (rates.length === 0) return Promise.resolve(false);
      return act('ratesImport', false, {
        run: async () => {
          const result = await call('cost.ratesImport', { rates: [...rates] });
          set({ ratesImport: { result, error: null } });
          void get().loadRates();
          void get().load({ quiet: true });
          return true;
        },
        fail: (err) => {
          set({ ratesImport: { result: null, error: toErrorInfo(err) } });
          return false;
        },
      });
    },

    clearRatesImport() {
      set({ ratesImport: null });
    },

    repriceDryRun(input) {
      set({ reprice: { input, dry: null, applied: null, error: null, confirming: false } });
      const mine = (): boolean => same(get().reprice?.input, input);
      return act('reprice', undefined, {
        run: async () => {
          const dry = await call('cost.reprice', { ...input, apply: false });
          if (mine()) set({ reprice: { input, dry, applied: null, error: null, confirming: false } });
        },
        fail: (err) => {
          if (mine())
            set({ reprice: { input, dry: null, applied: null, error: toErrorInfo(err), confirming: false } });
        },
      });
    },

    askApplyReprice() {
      const r = get().reprice;
      if (!r?.dry || r.applied || r.dry.changed === 0) return;
      set({ reprice: { ...r, confirming: true } });
    },

    cancelApplyReprice() {
      const r = get().reprice;
      if (r) set({ reprice: { ...r, confirming: false } });
    },

    applyReprice() {
      const r = get().reprice;
      if (!r?.dry || !r.confirming || r.applied) return Promise.resolve(false);
      const { input } = r;
      return act('repriceApply', false, {
        run: async () => {
          const applied = await call('cost.reprice', { ...input, apply: true });
          const now = get().reprice;
          if (now && same(now.input, input))
            set({ reprice: { ...now, applied, error: null, confirming: false } });
          void get().load({ quiet: true });
          return true;
        },
        fail: (err) => {
          const now = get().reprice;
          if (now && same(now.input, input))
            set({ reprice: { ...now, error: toErrorInfo(err), confirming: false } });
          return false;
        },
      });
    },

    clearReprice() {
      set({ reprice: null });
    },
  };
});

/** For tests: forget a read in flight and start from the defaults; `now` fixes the clock. */
export function resetCostsStore(now?: () => number): void {
  viewLoad.reset();
  clock = now ?? (() => Date.now());
  useCosts.setState({ ...EMPTY });
}
