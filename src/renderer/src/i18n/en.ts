import { health } from './en/health';
import { shell } from './en/shell';
import { hosts } from './en/hosts';
import { tenants } from './en/tenants';
import { backups } from './en/backups';
import { updates } from './en/updates';
import { logs } from './en/logs';
import { alerts } from './en/alerts';
import { knowledge } from './en/knowledge';
import { costs } from './en/costs';
import { inbox } from './en/inbox';
import { privacy } from './en/privacy';

/**
 * English UI strings, one file per feature (`en/<feature>.ts`), merged here. They define the
 * shape: `ru.ts` (and each `ru/<feature>.ts`) must have exactly the same keys (the type checker
 * enforces it). Interpolation uses {{name}}.
 */
export const en = {
  ...health,
  ...shell,
  ...hosts,
  ...tenants,
  ...logs,
  ...backups,
  ...updates,
  ...alerts,
  ...knowledge,
  ...costs,
  ...inbox,
  ...privacy,
};

export type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
export type Messages = Shape<typeof en>;
