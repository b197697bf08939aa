/**
 * Pure state -> view logic. No DOM, no JupyterLab runtime imports: unit-tested
 * with node:test (see test/model.test.ts).
 */
import type {
  CredentialState,
  ICredentialEntry,
  IEventMessage,
  ILogin,
  IStatus,
  ProviderId
} from './api';

export const PROVIDERS: ProviderId[] = ['ibm', 'qcs'];

export const PROVIDER_TITLES: Record<ProviderId, string> = {
  ibm: 'IBM Quantum',
  qcs: 'Rigetti QCS'
};

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
    out.providers = PROVIDERS.filter(p => (raw.providers as unknown[]).includes(p));
  }
  if (typeof raw.notifications === 'boolean') {
    out.notifications = raw.notifications;
  }
  return out;
}

// ---------------------------------------------------------------- time

/** Milliseconds since the epoch, or null for a missing/unparseable date. */
export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) {
    return null;
  }
  const t = Date.parse(iso);
  return isNaN(t) ? null : t;
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/**
 * A countdown to an expiry, `ms` milliseconds away (negative: in the past).
 *
 * - under an hour: "59:58" (minutes:seconds)
 * - under a day: "1 h 02 min"
 * - a day or more: "3 d 04 h"
 * - past: "expired just now", "expired 3 min ago", "expired 2 h ago", "expired 5 d ago"
 */
export function formatCountdown(ms: number): string {
  if (!isFinite(ms)) {
    return '';
  }
  if (ms < 0) {
    const ago = Math.floor(-ms / 1000);
    if (ago < 60) {
      return 'expired just now';
    }
    const min = Math.floor(ago / 60);
    if (min < 60) {
      return `expired ${min} min ago`;
    }
    const h = Math.floor(min / 60);
    if (h < 24) {
      return `expired ${h} h ago`;
    }
    return `expired ${Math.floor(h / 24)} d ago`;
  }
  const total = Math.floor(ms / 1000);
  if (total < 3600) {
    return `${pad2(Math.floor(total / 60))}:${pad2(total % 60)}`;
  }
  const totalMin = Math.floor(total / 60);
  if (totalMin < 24 * 60) {
    return `${Math.floor(totalMin / 60)} h ${pad2(totalMin % 60)} min`;
  }
  const totalH = Math.floor(totalMin / 60);
  return `${Math.floor(totalH / 24)} d ${pad2(totalH % 24)} h`;
}

export type ExpiryPhase = 'unknown' | 'valid' | 'soon' | 'expired';

/** Coarse phase of an expiry, for the (throttled) screen-reader live region. */
export function expiryPhase(expiresAt: number | null, now: number, warningMinutes: number): ExpiryPhase {
  if (expiresAt === null) {
    return 'unknown';
  }
  const left = expiresAt - now;
  if (left <= 0) {
    return 'expired';
  }
  return left <= warningMinutes * 60000 ? 'soon' : 'valid';
}

/** The sentence the live region announces: changes only with the phase. */
export function expiryAnnouncement(phase: ExpiryPhase, label: string): string {
  switch (phase) {
    case 'expired':
      return `${label}: access token expired.`;
    case 'soon':
      return `${label}: access token expires soon.`;
    case 'valid':
      return `${label}: access token valid.`;
    default:
      return '';
  }
}

// ---------------------------------------------------------------- badges

export interface IBadge {
  text: string;
  /** CSS modifier class, e.g. `jp-qcred-badge--ok`. */
  className: string;
  /** Longer description for tooltips / accessible names. */
  description: string;
}

const BADGES: Record<CredentialState, [string, string, string]> = {
  ok: ['OK', 'ok', 'The credential is valid.'],
  expiring: ['Expiring', 'warn', 'The access token expires soon; it is renewed automatically.'],
  refreshing: ['Refreshing', 'info', 'The access token is being renewed.'],
  expired: ['Expired', 'error', 'The access token has expired.'],
  needs_reinit: ['Action needed', 'error', 'The provider refused the credential: re-initialize it.'],
  error: ['Error', 'error', 'The last refresh failed; it is retried automatically.'],
  absent: ['Not set up', 'muted', 'No credential is configured for this provider.']
};

export function stateBadge(state: CredentialState | string): IBadge {
  const b = BADGES[state as CredentialState] ?? [String(state), 'muted', `State: ${state}`];
  return { text: b[0], className: `jp-qcred-badge--${b[1]}`, description: b[2] };
}

export function refreshTokenBadge(state: string | null | undefined): IBadge {
  switch (state) {
    case 'ok':
    case 'valid':
      return { text: 'healthy', className: 'jp-qcred-badge--ok', description: 'The refresh token works.' };
    case null:
    case undefined:
    case '':
    case 'unknown':
      return { text: 'unknown', className: 'jp-qcred-badge--muted', description: 'Not checked yet.' };
    case 'expiring':
      return {
        text: 'expiring',
        className: 'jp-qcred-badge--warn',
        description: 'The refresh token expires soon: log in again.'
      };
    case 'absent':
    case 'none':
      return {
        text: 'none',
        className: 'jp-qcred-badge--muted',
        description: 'No refresh token: the access token cannot be renewed.'
      };
    default:
      return {
        text: state,
        className: 'jp-qcred-badge--error',
        description: 'The refresh token no longer works: re-initialize the credential.'
      };
  }
}

// ---------------------------------------------------------------- health

export type Health = 'loading' | 'offline' | 'none' | 'ok' | 'expiring' | 'action';

const ACTION_STATES: CredentialState[] = ['needs_reinit', 'expired', 'error'];

/** Entries of the providers the user wants to see. */
export function visibleEntries(status: IStatus | null, providers: ProviderId[]): ICredentialEntry[] {
  if (!status) {
    return [];
  }
  return (status.providers ?? []).filter(e => providers.includes(e.provider));
}

/** Whether an entry counts as "expiring" (by state or by its expiry time). */
export function isExpiring(e: ICredentialEntry, now: number, warningMinutes: number): boolean {
  if (e.state === 'expiring') {
    return true;
  }
  if (e.state !== 'ok' && e.state !== 'refreshing') {
    return false;
  }
  const exp = parseTime(e.expires_at);
  return exp !== null && exp - now <= warningMinutes * 60000;
}

/**
 * One-glance health of everything shown.
 *
 * `offline` when the server cannot be reached (whatever the last known state),
 * `loading` before the first status, `none` when no
 * provider has a credential, `action` if anything needs the user, `expiring` if
 * anything is about to expire, else `ok`.
 */
export function overallHealth(
  status: IStatus | null,
  opts: { now: number; warningMinutes: number; providers: ProviderId[]; unreachable?: boolean }
): Health {
  if (opts.unreachable) {
    return 'offline';
  }
  if (!status) {
    return 'loading';
  }
  const entries = visibleEntries(status, opts.providers).filter(e => e.state !== 'absent');
  if (entries.length === 0) {
    return 'none';
  }
  if (entries.some(e => ACTION_STATES.includes(e.state))) {
    return 'action';
  }
  if (entries.some(e => isExpiring(e, opts.now, opts.warningMinutes))) {
    return 'expiring';
  }
  return 'ok';
}

export const HEALTH_LABELS: Record<Health, string> = {
  loading: 'Quantum: …',
  offline: 'Quantum: offline',
  none: 'Quantum: not set up',
  ok: 'Quantum: OK',
  expiring: 'Quantum: expiring',
  action: 'Quantum: action needed'
};

export const HEALTH_DESCRIPTIONS: Record<Health, string> = {
  loading: 'Loading the state of your quantum credentials.',
  offline: 'The Jupyter server cannot be reached; the state of your quantum credentials is unknown.',
  none: 'No quantum credentials are configured.',
  ok: 'All quantum credentials are valid.',
  expiring: 'A quantum access token expires soon.',
  action: 'A quantum credential needs your attention.'
};

// ---------------------------------------------------------------- sorting / grouping

/** Default first, then by name; `absent` placeholders last. Stable for the UI. */
export function sortEntries(entries: ICredentialEntry[]): ICredentialEntry[] {
  return [...entries].sort((a, b) => {
    const abs = Number(a.state === 'absent') - Number(b.state === 'absent');
    if (abs) {
      return abs;
    }
    const def = Number(!!b.default) - Number(!!a.default);
    if (def) {
      return def;
    }
    return (a.name ?? '').localeCompare(b.name ?? '');
  });
}

export function entriesOf(status: IStatus | null, provider: ProviderId): ICredentialEntry[] {
  return sortEntries((status?.providers ?? []).filter(e => e.provider === provider));
}

/** Named (configured) entries of a provider, sorted. */
export function accountsOf(status: IStatus | null, provider: ProviderId): ICredentialEntry[] {
  return entriesOf(status, provider).filter(e => e.state !== 'absent' && e.name !== null);
}

/** The default account of a provider: `status.defaults`, else the entry flagged default. */
export function defaultName(status: IStatus | null, provider: ProviderId): string | null {
  const d = status?.defaults?.[provider];
  if (d) {
    return d;
  }
  const e = (status?.providers ?? []).find(x => x.provider === provider && x.default);
  return e?.name ?? null;
}

export function isLegacyIbm(e: ICredentialEntry): boolean {
  return e.provider === 'ibm' && e.account?.channel === 'ibm_quantum';
}

export function instanceKey(i: { hub: string; group: string; project: string }): string {
  return `${i.hub}/${i.group}/${i.project}`;
}

/** Safe for ids / data-testids: keeps [A-Za-z0-9_-], replaces the rest. */
export function slug(s: string | null | undefined): string {
  return (s ?? 'none').replace(/[^A-Za-z0-9_-]/g, '_');
}

export function entryKey(e: { provider: string; name: string | null }): string {
  return `${e.provider}/${e.name ?? ''}`;
}

export function findLogin(status: IStatus | null, id: string): ILogin | null {
  return (status?.logins ?? []).find(l => l.id === id) ?? null;
}

/** Message -> status, tolerant of a bare status JSON. */
export function parseEventMessage(data: string): IEventMessage | null {
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== 'object') {
    return null;
  }
  const m = msg as Partial<IEventMessage> & Partial<IStatus>;
  if (m.type === 'status' && m.status && Array.isArray(m.status.providers)) {
    return { type: 'status', status: m.status, change: m.change ?? null };
  }
  if (Array.isArray(m.providers)) {
    return { type: 'status', status: m as IStatus, change: null };
  }
  return null;
}

// ---------------------------------------------------------------- notifications

export type NotificationEffect =
  | { kind: 'needs_reinit'; key: string; entry: ICredentialEntry }
  | { kind: 'failing'; key: string; entry: ICredentialEntry }
  | { kind: 'resolved'; key: string; entry: ICredentialEntry | null };

interface ITrack {
  state: CredentialState;
  /** Consecutive failed refreshes seen. */
  failures: number;
  /** Signature of the last counted failure, so a repeated message is not counted twice. */
  failureSig: string | null;
  notified: 'needs_reinit' | 'failing' | null;
}

/**
 * Decides which notifications a status transition triggers: one per
 * transition, never one per message.
 *
 * - an entry *entering* `needs_reinit` (including when first seen in that
 *   state) -> `needs_reinit` (action: Re-initialize);
 * - the second consecutive failed refresh (`error`) of an entry -> `failing`
 *   (action: Retry). Intermediate `refreshing` states do not break the streak;
 *   nor does `expired`; a success (`ok`/`expiring`) does;
 * - an entry that had a notification and recovers (or disappears) -> `resolved`
 *   (so its notification can be dismissed).
 */
export class TransitionTracker {
  private tracks = new Map<string, ITrack>();

  update(status: IStatus, change: IEventMessage['change'] = null): NotificationEffect[] {
    const effects: NotificationEffect[] = [];
    const seen = new Set<string>();
    for (const e of status.providers ?? []) {
      if (e.state === 'absent' || e.name === null) {
        continue;
      }
      const key = entryKey(e);
      seen.add(key);
      const prev = this.tracks.get(key);
      const t: ITrack = prev
        ? { ...prev }
        : { state: e.state, failures: 0, failureSig: null, notified: null };

      if (e.state === 'needs_reinit') {
        if (t.notified !== 'needs_reinit') {
          effects.push({ kind: 'needs_reinit', key, entry: e });
          t.notified = 'needs_reinit';
        }
        t.failures = 0;
        t.failureSig = null;
      } else if (e.state === 'error') {
        const sig = `${e.error ?? ''}|${e.next_refresh_at ?? ''}|${e.refreshed_at ?? ''}`;
        const changeIsAttempt =
          !!change && change.provider === e.provider && change.name === e.name && change.state === 'error';
        const newAttempt = !prev || prev.state !== 'error' || changeIsAttempt || sig !== t.failureSig;
        if (newAttempt) {
          t.failures += 1;
          t.failureSig = sig;
        }
        if (t.failures >= 2 && t.notified !== 'failing') {
          if (t.notified === 'needs_reinit') {
            effects.push({ kind: 'resolved', key, entry: e });
          }
          effects.push({ kind: 'failing', key, entry: e });
          t.notified = 'failing';
        }
      } else if (e.state === 'refreshing' || e.state === 'expired') {
        // Neutral: keeps a failure streak going and resolves nothing yet.
      } else {
        // ok / expiring: the credential works again.
        t.failures = 0;
        t.failureSig = null;
        if (t.notified) {
          effects.push({ kind: 'resolved', key, entry: e });
          t.notified = null;
        }
      }
      t.state = e.state;
      this.tracks.set(key, t);
    }
    for (const [key, t] of this.tracks) {
      if (!seen.has(key)) {
        if (t.notified) {
          effects.push({ kind: 'resolved', key, entry: null });
        }
        this.tracks.delete(key);
      }
    }
    return effects;
  }

  reset(): void {
    this.tracks.clear();
  }
}

// ---------------------------------------------------------------- re-initialize dialog helpers

/** Which provider a downloaded credentials file belongs to, from its name. */
export function providerForFilename(filename: string): ProviderId | null {
  const base = filename.split(/[\\/]/).pop()!.toLowerCase();
  if (base.endsWith('.toml')) {
    return 'qcs';
  }
  if (base === 'qiskitrc' || base.endsWith('.json') || base.endsWith('qiskitrc')) {
    return 'ibm';
  }
  return null;
}

/** Largest credentials file the panel accepts (they are a few KB). */
export const MAX_UPLOAD_BYTES = 1024 * 1024;

/** Human name of an entry for labels. */
export function entryLabel(e: ICredentialEntry): string {
  return `${PROVIDER_TITLES[e.provider] ?? e.provider} ${e.name ?? ''}`.trim();
}

/**
 * The sentence of a notification about `e`: the server's error, prefixed with
 * the credential's label unless the error already starts with the provider's
 * name (JupyterLab cuts notifications at 140 characters: a repeated prefix
 * would push out the advice); `fallback` when there is no error.
 */
export function notificationMessage(e: ICredentialEntry, fallback: string): string {
  if (!e.error) {
    return fallback;
  }
  const title = PROVIDER_TITLES[e.provider] ?? e.provider;
  return e.error.startsWith(title) ? e.error : `${entryLabel(e)}: ${e.error}`;
}
