/** Times: countdowns, clock times and the phases the screen-reader live region announces. */

/** Milliseconds since the epoch, or null for a missing/unparseable date. */
export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) {
    return null;
  }
  const t = Date.parse(iso);
  return isNaN(t) ? null : t;
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n;

/** "HH:MM:SS" in local time. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

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
    return formatAgo(-ms);
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

function formatAgo(ms: number): string {
  const ago = Math.floor(ms / 1000);
  if (ago < 60) {
    return 'expired just now';
  }
  const min = Math.floor(ago / 60);
  if (min < 60) {
    return `expired ${min} min ago`;
  }
  const h = Math.floor(min / 60);
  return h < 24 ? `expired ${h} h ago` : `expired ${Math.floor(h / 24)} d ago`;
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

const ANNOUNCEMENTS: Record<ExpiryPhase, string> = {
  expired: 'access token expired.',
  soon: 'access token expires soon.',
  valid: 'access token valid.',
  unknown: ''
};

/** The sentence the live region announces: changes only with the phase. */
export function expiryAnnouncement(phase: ExpiryPhase, label: string): string {
  return ANNOUNCEMENTS[phase] ? `${label}: ${ANNOUNCEMENTS[phase]}` : '';
}
