import type { ProviderId } from '../types';

/** User settings (schema/plugin.json). */
export interface ISettings {
  warningMinutes: number;
  /** The providers to show; null: every provider the server manages. */
  providers: ProviderId[] | null;
  notifications: boolean;
}

export const DEFAULT_SETTINGS: ISettings = {
  warningMinutes: 10,
  providers: null,
  notifications: true
};

/** Normalize whatever the setting registry holds. */
export function normalizeSettings(raw: Partial<Record<keyof ISettings, unknown>> | null | undefined): ISettings {
  const out: ISettings = { ...DEFAULT_SETTINGS };
  if (!raw) {
    return out;
  }
  const w = raw.warningMinutes;
  if (typeof w === 'number' && isFinite(w) && w >= 0) {
    out.warningMinutes = w;
  }
  if (Array.isArray(raw.providers)) {
    const wanted = raw.providers as unknown[];
    out.providers = wanted.filter((p): p is string => typeof p === 'string' && p !== '');
  }
  if (typeof raw.notifications === 'boolean') {
    out.notifications = raw.notifications;
  }
  return out;
}
