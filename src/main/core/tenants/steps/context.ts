import { randomUUID } from 'node:crypto';
import { CREATE_STEPS, type CreateStep } from '../../../../shared/contract';
import type { HostTransport } from '../../hosts/transport';
import type { HostRecord } from '../../store/schema';
import type { ImageKey } from '../catalog';
import type { LiftedCpus } from '../cpus';
import type { TenantLock } from '../lock';
import type { LoadedModule } from '../modules';
import type { TenantRecord } from '../record';
import type { CreateTenantInput } from '../types';

/** One create or update in flight: what its steps read and fill in. */
export interface Ctx {
  opId: string;
  input: CreateTenantInput;
  host: HostRecord;
  transport: HostTransport;
  dir: string;
  domain: string;
  modules: LoadedModule[];
  images: Record<ImageKey, string>;
  env: Record<string, string>;
  record: TenantRecord | null;
  lock: TenantLock | null;
  /** True once this operation may have made something on the host (so a failure rolls back). */
  touched: boolean;
  resumed: boolean;
  kind: 'create' | 'update';
  steps: readonly CreateStep[];
  /** Workflow ids to deactivate (modules an update removes). */
  deactivate: string[];
  /** The digest of the workflows and credentials n8n holds once the workflows step ran. */
  workflowsDigest?: string;
  /** Set by the workflows step when n8n already holds them (an update that changes none). */
  workflowsKept?: boolean;
  /** n8n's container while its CPU limit is lifted for its boot, and the limit that goes back. */
  cpuLifted?: LiftedCpus | null;
  /** Gives back the host's n8n boot slot this operation holds (../bootslots.ts). */
  bootSlot?: (() => void) | null;
  /** An update: the record's `updatedAt` its plan was checked against. */
  planned?: string;
}

/** A new create's context: everything but the input is found by its steps. */
export function createCtx(input: CreateTenantInput): Ctx {
  return {
    opId: input.opId ?? randomUUID(),
    input,
    host: undefined as unknown as HostRecord,
    transport: undefined as unknown as HostTransport,
    dir: '',
    domain: '',
    modules: [],
    images: {} as Record<ImageKey, string>,
    env: {},
    record: null,
    lock: null,
    touched: false,
    resumed: false,
    kind: 'create',
    steps: CREATE_STEPS,
    deactivate: [],
  };
}
