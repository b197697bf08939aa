/** What the card shows about a credential: state badges and the server's refresh record. */
import type { CredentialState, ICredentialEntry, Outcome } from '../types';
import { formatClock, parseTime } from './time';

export interface IBadge {
  text: string;
  /** CSS modifier class, e.g. `jp-qcred-badge--ok`. */
  className: string;
  /** Longer description for tooltips / accessible names. */
  description: string;
}

const badge = (text: string, modifier: string, description: string): IBadge => ({
  text,
  className: `jp-qcred-badge--${modifier}`,
  description
});

const STATE_BADGES: Record<CredentialState, IBadge> = {
  ok: badge('OK', 'ok', 'The credential is valid.'),
  expiring: badge('Expiring', 'warn', 'The access token expires soon; it is renewed automatically.'),
  refreshing: badge('Refreshing', 'info', 'The access token is being renewed.'),
  expired: badge('Expired', 'error', 'The access token has expired.'),
  needs_reinit: badge('Action needed', 'error', 'The provider refused the credential: re-initialize it.'),
  error: badge('Error', 'error', 'The last refresh failed; it is retried automatically.'),
  unsupported: badge(
    'Unsupported',
    'warn',
    'The installed SDK refuses this account: the SDKs cannot use it. What to do is written below.'
  ),
  absent: badge('Not set up', 'muted', 'No credential is configured for this provider.')
};

export function stateBadge(state: CredentialState | string): IBadge {
  return STATE_BADGES[state as CredentialState] ?? badge(String(state), 'muted', `State: ${state}`);
}

const RETRYING = badge(
  'Retrying',
  'info',
  'The last refresh failed, but the access token is still valid: the server retries and the SDKs keep working.'
);

/** The badge of an entry: its state's, except that a refresh retrying with time left is calm (core/states.py). */
export function entryBadge(e: ICredentialEntry): IBadge {
  return e.retrying ? RETRYING : stateBadge(e.state);
}

export function refreshTokenBadge(state: string | null | undefined): IBadge {
  switch (state) {
    case 'ok':
    case 'valid':
      return badge('healthy', 'ok', 'The refresh token works.');
    case null:
    case undefined:
    case '':
    case 'unknown':
      return badge('unknown', 'muted', 'Not checked yet.');
    case 'expiring':
      return badge('expiring', 'warn', 'The refresh token expires soon: log in again.');
    case 'absent':
    case 'none':
      return badge('none', 'muted', 'No refresh token: the access token cannot be renewed.');
    default:
      return badge(state, 'error', 'The refresh token no longer works: re-initialize the credential.');
  }
}

/** When the server retries a failed refresh, and which attempt that will be. */
export function retryInfo(e: ICredentialEntry): { time: string; attempt: number } | null {
  const at = parseTime(e.retry_at);
  return at === null ? null : { time: formatClock(at), attempt: (e.failures ?? 0) + 1 };
}

const OUTCOME_WORDS: Record<Outcome, string> = { ok: 'succeeded', failed: 'failed', refused: 'refused' };

/** The last refresh attempt the server reports, e.g. "failed at 12:00:03". */
export function lastRefreshInfo(e: ICredentialEntry): { outcome: Outcome; words: string; time: string } | null {
  const last = e.last_refresh;
  const at = parseTime(last?.at);
  if (!last || at === null) {
    return null;
  }
  return { outcome: last.outcome, words: OUTCOME_WORDS[last.outcome] ?? String(last.outcome), time: formatClock(at) };
}
