import type { ProviderId } from '../types';
import { PROVIDERS } from './status';

/** User settings (schema/plugin.json). */
export interface ISettings {
  warningMinutes: number;
  providers: ProviderId[];
  notifications: boolean;
}

export const DEFAULT_SETTINGS: ISettings = {
  warningMinutes: 10,
  providers: ['ibm', 'qcs'],
  notifications: true
};

/** Normalize whatever the setting registry holds. */
export function normalizeSettings(raw: Partial<Record<keyof ISettings, unknown>> | null | undefined): ISettings {
  const out: ISettings = { ...DEFAULT_SETTINGS, providers: [...DEFAULT_SETTINGS.providers] };
  if (!raw) {
    return out;
  }
  const w = raw.warningMinutes;
  if (typeof w === 'number' && isFinite(w) && w >= 0) {
    out.warningMinutes = w;
  }
  if (Array.isArray(raw.providers)) {
    const wanted = raw.providers as unknown[];
    out.providers = PROVIDERS.filter(p => wanted.includes(p));
  }
  if (typeof raw.notifications === 'boolean') {
    out.notifications = raw.notifications;
  }
  return out;
}
