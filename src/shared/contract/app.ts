/**
 * The app's own slice: what the console is and its settings.
 */
import { z } from 'zod';
import { defineSlice, Empty, LanguageSchema } from './kernel';

export const SettingsSchema = z.object({
  language: LanguageSchema,
  /** Alerts: the console tells when it has not reached a host's agent for this many minutes (absent: 5). */
  alertsUnreachableMinutes: z.number().int().min(1).max(1440).optional(),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const AppInfoSchema = z.object({
  version: z.string(),
  mode: z.enum(['electron', 'web', 'cli']),
  home: z.string(),
  localDocker: z.object({
    available: z.boolean(),
    socketPath: z.string(),
    version: z.string().nullable(),
  }),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const appSlice = defineSlice('app', {
  'app.info': { effect: 'read', input: Empty, output: AppInfoSchema },
  'settings.get': { effect: 'read', input: Empty, output: SettingsSchema },
  'settings.update': { effect: 'write', input: SettingsSchema.partial().strict(), output: SettingsSchema },
});
