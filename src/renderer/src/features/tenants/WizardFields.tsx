import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import type { ModuleInfo, PlanName } from '../../../../shared/contract';
import { schemaMessage } from '../../i18n';
import { BASE_MODULES, PLANS, TIERS, isIncluded, isToggleable } from './tenants';
import type { FieldError, ModuleState } from './tenants';
import { useTenants } from './tenantsStore';
import { useLng } from '../../kit/useLocale';
import { BackLink as KitBackLink } from '../../kit/BackLink';

/** The text of a field error in the UI language. */
export function useErrorText(): (e: FieldError | undefined) => string | undefined {
  const { t } = useTranslation();
  const lng = useLng();
  return (e) => {
    if (!e) return undefined;
    if (e.kind === 'schema') return schemaMessage(e.message, lng);
    // The key is one of the wizard's error keys (typed in tenants.ts); their values vary by key.
    const translate = t as unknown as (key: string, values: Record<string, string>) => string;
    return translate(e.key, e.values);
  };
}

/** "← Back" to the tenant list. */
export function BackLink(): ReactElement {
  const { t } = useTranslation();
  const open = useTenants((s) => s.open);
  return (
    <KitBackLink
      href="#/tenants"
      testId="back-to-tenants"
      label={t('wizard.back')}
      onOpen={() => open({ view: 'list' })}
    />
  );
}

function ModuleHint({
  state,
  catalog,
}: {
  state: ModuleState | undefined;
  catalog: ModuleInfo[];
}): ReactElement | null {
  const { t } = useTranslation();
  const lng = useLng();
  const title = (name: string): string => catalog.find((m) => m.name === name)?.title[lng] ?? name;
  if (!state) return null;
  switch (state.kind) {
    case 'base':
      return <span className="tag tag-ok">{t('wizard.included')}</span>;
    case 'dependency':
      return (
        <span className="tag tag-info" data-hint="dependency">
          {t('wizard.dependency', { modules: state.neededBy.map(title).join(', ') })}
        </span>
      );
    case 'tier':
      return (
        <span className="tag tag-plan" data-hint="tier">
          {state.via
            ? t('wizard.needsPlanVia', { plan: t(`plan.${state.needs}`), module: title(state.via) })
            : t('wizard.needsPlan', { plan: t(`plan.${state.needs}`) })}
        </span>
      );
    case 'planned':
      return (
        <span className="tag tag-unknown" data-hint="planned">
          {t('wizard.planned')}
        </span>
      );
    case 'blocked':
      return (
        <span className="tag tag-unknown" data-hint="blocked">
          {t('wizard.blockedVia', { module: title(state.via) })}
        </span>
      );
    default:
      return null;
  }
}

/** Base modules first, in their own order (core_chat, then what builds on it). */
function baseRank(name: string): number {
  const i = BASE_MODULES.indexOf(name);
  return i < 0 ? BASE_MODULES.length : i;
}

export function ModulesSection({
  catalog,
  states,
}: {
  catalog: ModuleInfo[];
  states: Record<string, ModuleState>;
}): ReactElement {
  const { t } = useTranslation();
  const lng = useLng();
  const toggle = useTenants((s) => s.toggleModule);
  return (
    <div className="module-groups">
      {TIERS.map((tier) => {
        const mods = catalog
          .filter((m) => m.tier === tier)
          .sort(
            (a, b) =>
              baseRank(a.name) - baseRank(b.name) ||
              Number(a.status === 'planned') - Number(b.status === 'planned') ||
              a.title[lng].localeCompare(b.title[lng]),
          );
        if (mods.length === 0) return null;
        return (
          <fieldset key={tier} className="module-group" data-testid={`module-group-${tier}`}>
            <legend>{t(`wizard.tier.${tier}`)}</legend>
            <ul className="module-list">
              {mods.map((m) => {
                const state = states[m.name];
                const included = isIncluded(state);
                const toggleable = isToggleable(state);
                const id = `module-${m.name}`;
                return (
                  <li
                    key={m.name}
                    className={`module${included ? ' module-included' : ''}${!toggleable && !included ? ' module-disabled' : ''}`}
                    data-testid={`module-${m.name}`}
                    data-state={state?.kind}
                  >
                    <input
                      type="checkbox"
                      id={id}
                      data-testid={`module-check-${m.name}`}
                      checked={included}
                      disabled={!toggleable}
                      aria-describedby={`${id}-desc`}
                      onChange={(e) => toggle(m.name, e.target.checked)}
                    />
                    <div className="module-body">
                      <label htmlFor={id} className="module-title">
                        {m.title[lng]}{' '}
                        <span className="muted small mono">
                          {m.name} · v{m.version}
                        </span>
                      </label>
                      <p className="module-desc" id={`${id}-desc`}>
                        {m.description[lng]}
                      </p>
                      <ModuleHint state={state} catalog={catalog} />
                    </div>
                  </li>
                );
              })}
            </ul>
          </fieldset>
        );
      })}
    </div>
  );
}

export function PlanCards(): ReactElement {
  const { t } = useTranslation();
  const plan = useTenants((s) => s.draft.plan);
  const setPlan = useTenants((s) => s.setPlan);
  return (
    <div className="plan-cards" role="radiogroup" aria-label={t('wizard.planLabel')} data-testid="plan-cards">
      {PLANS.map((p: PlanName) => (
        <label
          key={p}
          className={`plan-card${plan === p ? ' plan-card-selected' : ''}`}
          data-testid={`plan-${p}`}
        >
          <input
            type="radio"
            name="tenant-plan"
            value={p}
            checked={plan === p}
            onChange={() => setPlan(p)}
            data-testid={`plan-radio-${p}`}
          />
          <span className="plan-name">{t(`plan.${p}`)}</span>
          <span className="plan-desc">{t(`wizard.plans.${p}.desc`)}</span>
          <span className="plan-res muted small">{t(`wizard.plans.${p}.resources`)}</span>
        </label>
      ))}
    </div>
  );
}
