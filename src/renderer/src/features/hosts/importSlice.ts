/** The ssh-config import part of the console's store: the preview, the ticked aliases, the result. */
import type { CommandOutput, ImportPreview } from '../../../../shared/contract';
import { call } from '../../api';
import type { SliceContext } from '../../app/store';
import { defaultImportSelection } from './validation';
import type { ImportSource } from './validation';

export type ImportResult = CommandOutput<'hosts.import'>;

export interface ImportState {
  importOpen: boolean;
  importPreview: ImportPreview | null;
  /** The paths the preview was read from (an import uses the same). */
  importSource: ImportSource | null;
  importResult: ImportResult | null;
  /** Which previewed aliases are ticked for import. */
  importSelection: Record<string, boolean>;

  openImport(): void;
  closeImport(): void;
  previewImport(source: ImportSource): Promise<void>;
  setImportSelection(selection: Record<string, boolean>): void;
  runImport(aliases: string[]): Promise<void>;
}

export function importSlice({ set, get, setBusy, upsertHost }: SliceContext): ImportState {
  return {
    importOpen: false,
    importPreview: null,
    importSource: null,
    importResult: null,
    importSelection: {},

    openImport() {
      const error = get().error;
      set({
        importOpen: true,
        importPreview: null,
        importSource: null,
        importResult: null,
        importSelection: {},
        error: error?.scope === 'import' ? null : error,
      });
    },

    closeImport() {
      if (get().busy['import.run']) return;
      const error = get().error;
      set({
        importOpen: false,
        importPreview: null,
        importSource: null,
        importResult: null,
        importSelection: {},
        error: error?.scope === 'import' ? null : error,
      });
    },

    async previewImport(source) {
      if (get().busy['import.preview'] || get().busy['import.run']) return;
      setBusy('import.preview', true);
      get().clearError();
      set({ importResult: null });
      try {
        const preview = await call('hosts.importPreview', source);
        set({
          importPreview: preview,
          importSource: source,
          importSelection: defaultImportSelection(preview.candidates),
        });
      } catch (err) {
        set({ importPreview: null, importSource: null, importSelection: {} });
        get().showError('import', err);
      } finally {
        setBusy('import.preview', false);
      }
    },

    setImportSelection(selection) {
      set({ importSelection: selection });
    },

    async runImport(aliases) {
      const source = get().importSource;
      if (!source || aliases.length === 0 || get().busy['import.run']) return;
      setBusy('import.run', true);
      get().clearError();
      try {
        const result = await call('hosts.import', { ...source, aliases });
        for (const view of result.added) upsertHost(view);
        set({ importResult: result, importPreview: null, importSelection: {} });
        if (result.added.length > 0) {
          get().pushToast('success', 'toast.imported', { count: String(result.added.length) });
          set((s) => ({ selectedHost: s.selectedHost ?? result.added[0]?.name ?? null }));
        }
        await get().loadHosts();
        for (const view of result.added) void get().checkHost(view.name, { quiet: true });
      } catch (err) {
        get().showError('import', err);
      } finally {
        setBusy('import.run', false);
      }
    },
  };
}
