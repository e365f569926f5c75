import { describe, expect, it } from 'vitest';
import type { TenantView } from '../../src/shared/contract';
import type { HostRecord } from '../../src/main/core/store/schema';
import { interruptedView } from '../../src/main/core/tenants/view';

/** The hint an interrupted operation carries: how to resume it with the same settings, or delete it. */

const HOST = { name: 'h1', baseDomain: 'bots.example.kz' } as HostRecord;

function view(over: Partial<TenantView> & { kind?: string; step?: string | null } = {}): TenantView {
  const { kind = 'create', step = 'migrate', ...rest } = over;
  return {
    host: 'h1',
    slug: 'acme',
    plan: 'starter',
    domain: 'acme.bots.example.kz',
    modules: [
      { name: 'core_admin', version: '1.0.0' },
      { name: 'core_chat', version: '1.0.0' },
    ],
    templateVersion: '1',
    images: {},
    state: 'creating',
    createdAt: '2026-01-01T00:00:00Z',
    createdBy: 'op@laptop',
    updatedAt: '2026-01-01T00:00:00Z',
    lastOperation: {
      kind,
      state: 'running',
      actor: 'op@laptop',
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: null,
      step,
      error: null,
    },
    ...rest,
  } as TenantView;
}

describe('interruptedView', () => {
  it('a create: resume with the same plan (the base domain implied), or delete', () => {
    const v = interruptedView(view(), HOST);
    expect(v.lastOperation.state).toBe('interrupted');
    expect(v.lastOperation.error).toEqual({
      code: 'tenant.interrupted',
      message:
        "The create of 'acme' started 2026-01-01T00:00:00Z by op@laptop was interrupted at step migrate: no console is running it any more (its lock is free).",
      hint: 'Resume it with the same settings: truffles tenant create acme --host h1 --plan starter (and the same --env values), or delete it: truffles tenant delete acme --host h1 --confirm acme',
    });
  });

  it('names extra modules and a domain of its own', () => {
    const v = interruptedView(
      view({
        domain: 'shop.example.com',
        modules: [
          { name: 'core_admin', version: '1' },
          { name: 'core_chat', version: '1' },
          { name: 'crm', version: '1' },
        ],
        step: null,
      }),
      HOST,
    );
    expect(v.lastOperation.error?.hint).toBe(
      'Resume it with the same settings: truffles tenant create acme --host h1 --plan starter --modules crm --domain shop.example.com (and the same --env values), or delete it: truffles tenant delete acme --host h1 --confirm acme',
    );
    expect(v.lastOperation.error?.message).not.toContain(' at step');
  });

  it('another operation: check it and run it again, or delete', () => {
    const v = interruptedView(view({ kind: 'update', state: 'running', step: 'n8n' }), HOST);
    expect(v.lastOperation.error?.hint).toBe(
      'Check it (truffles tenant status acme --host h1) and run the update again, or delete it: truffles tenant delete acme --host h1 --confirm acme',
    );
  });
});
