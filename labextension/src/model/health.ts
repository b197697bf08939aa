/** One-glance health of everything shown (status bar item). */
import type { CredentialState, ICredentialEntry, IStatus, ProviderId } from '../types';
import { visibleEntries } from './status';
import { parseTime } from './time';

export type Health = 'loading' | 'offline' | 'none' | 'ok' | 'expiring' | 'action';

/** What servers without the `action_needed` field meant by it (the same states as core/states.py). */
const ACTION_STATES: CredentialState[] = ['needs_reinit', 'expired', 'error', 'unsupported'];

/**
 * Whether a person must act on `e`: the server's one rule (`action_needed`, core/states.py), read as it is so the
 * card, the status bar, the notifications and `jupyter qcred status` never disagree; older servers: by state.
 */
export function actionNeeded(e: ICredentialEntry): boolean {
  if (typeof e.action_needed === 'boolean') {
    return e.action_needed;
  }
  return ACTION_STATES.includes(e.state);
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
 * `offline` when the server cannot be reached (whatever the last known state),
 * `loading` before the first status, `none` when no provider has a credential,
 * `action` if anything needs the user, `expiring` if anything is about to
 * expire, else `ok`.
 */
export function overallHealth(
  status: IStatus | null,
  opts: { now: number; warningMinutes: number; providers: ProviderId[] | null; unreachable?: boolean }
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
  if (entries.some(actionNeeded)) {
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
