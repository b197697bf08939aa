/**
 * The calm notes of a card: status `warnings`, a refresh retrying while the token is still valid, the notices of
 * values kept out of files (`redactions`), and whether a person's Refresh was actually tried.
 */
import type { ICredentialEntry, IOperationAnswer, IRedaction, IStatus, ProviderId } from '../types';
import { parseTime } from './time';

/** Notices shown on a card (newest first); the rest are counted. */
export const REDACTIONS_SHOWN = 3;

/** "just now", "2 min ago", "3 h ago", "2 d ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) {
    return 'just now';
  }
  const min = Math.floor(s / 60);
  if (min < 60) {
    return `${min} min ago`;
  }
  const h = Math.floor(min / 60);
  return h < 24 ? `${h} h ago` : `${Math.floor(h / 24)} d ago`;
}

/** "59 min", "2 h 05 min", "3 d": the time left on a token (rounded down; under a minute: "less than a minute"). */
export function timeLeft(ms: number): string {
  const min = Math.floor(ms / 60000);
  if (min < 1) {
    return 'less than a minute';
  }
  if (min < 60) {
    return `${min} min`;
  }
  const h = Math.floor(min / 60);
  return h < 24 ? `${h} h ${String(min % 60).padStart(2, '0')} min` : `${Math.floor(h / 24)} d`;
}

/** How long the token of a refresh retrying with time left stays valid ("59 min"); null when not retrying. */
export function tokenLeft(e: ICredentialEntry, now: number): string | null {
  const exp = parseTime(e.expires_at);
  return !e.retrying || exp === null || exp <= now ? null : timeLeft(exp - now);
}

/** The calm sentence of a refresh retrying with time left: "Retrying; the token is valid for 59 min." */
export function retryingSentence(e: ICredentialEntry, now: number): string | null {
  const left = tokenLeft(e, now);
  return left === null ? null : `Retrying; the token is valid for ${left}.`;
}

/**
 * The calm addition to a failed refresh's toast when every credential that failed is retrying with time left (a
 * warning, not an error: nothing needs the person yet); null otherwise.
 */
export function calmFailure(answer: IOperationAnswer, now: number): string | null {
  const failed = (answer.result?.credentials ?? []).filter(c => c.outcome === 'failed');
  if (!failed.length || (answer.result?.credentials ?? []).some(c => c.outcome === 'refused')) {
    return null;
  }
  const lefts = failed.map(c => {
    const e = (answer.providers ?? []).find(p => p.provider === c.provider && p.name === c.name);
    return e ? tokenLeft(e, now) : null;
  });
  return lefts.every(l => l !== null) ? `Retrying; the token is valid for ${lefts[0]}.` : null;
}

/** The status's warnings of one entry (absent from older servers). */
export function warningsOf(e: ICredentialEntry): string[] {
  return (e.warnings ?? []).filter(w => typeof w === 'string' && w.length > 0);
}

export interface IRedactionNote {
  key: string;
  text: string;
  when: string;
}

/** The newest notices of `provider` (tolerating a status without `redactions`) and how many more there are. */
export function redactionNotes(
  status: IStatus | null,
  provider: ProviderId,
  now: number
): { notes: IRedactionNote[]; more: number; total: number } {
  const all = (status?.redactions?.[provider] ?? []).filter(
    (r): r is IRedaction => !!r && typeof r === 'object' && typeof r.where === 'string'
  );
  const sorted = [...all].sort((a, b) => (parseTime(b.at) ?? 0) - (parseTime(a.at) ?? 0));
  const notes = sorted.slice(0, REDACTIONS_SHOWN).map((r, i) => {
    const count = Number(r.count) || 1;
    const text = r.notice ?? `${count} ${count === 1 ? 'key' : 'keys'} kept out of ${r.where}`;
    const at = parseTime(r.at);
    return { key: `${r.name}|${r.where}|${r.what}|${i}`, text, when: at === null ? '' : ago(now - at) };
  });
  return { notes, more: Math.max(0, sorted.length - notes.length), total: sorted.length };
}

/**
 * Whether a person's Refresh was answered from an earlier refresh instead of a new attempt: no credential it covers
 * has an attempt (`last_refresh.at`) since the request left, in the server's clock (its `generated_at` minus the
 * time the request took, with a second of slack). The server refreshes a credential at most once every few seconds
 * on request; the view then says so plainly instead of showing a success.
 */
export function answeredFromEarlier(answer: IOperationAnswer, elapsedMs: number): boolean {
  const generated = parseTime(answer.generated_at);
  const credentials = answer.result?.credentials ?? [];
  if (generated === null || !credentials.length) {
    return false;
  }
  const sent = generated - elapsedMs - 1000;
  return credentials.every(c => {
    const entry = (answer.providers ?? []).find(e => e.provider === c.provider && e.name === c.name);
    const at = parseTime(entry?.last_refresh?.at);
    return at !== null && at < sent;
  });
}

/** What the view says when a Refresh was not tried again: plainly, with the earlier attempt's age and outcome. */
export function notTriedMessage(answer: IOperationAnswer): string {
  const generated = parseTime(answer.generated_at) ?? Date.now();
  const ats = (answer.result?.credentials ?? [])
    .map(c => (answer.providers ?? []).find(e => e.provider === c.provider && e.name === c.name)?.last_refresh)
    .filter(l => !!l);
  const newest = Math.max(...ats.map(l => parseTime(l?.at) ?? 0));
  const seconds = Math.max(1, Math.round((generated - newest) / 1000));
  const failed = ats.some(l => l?.outcome !== 'ok');
  // Under 140 characters: JupyterLab cuts longer notifications.
  return (
    `Not refreshed again: the last refresh, ${seconds} s ago, ${failed ? 'failed' : 'succeeded'}; ` +
    'on request, a credential is refreshed at most once every few seconds.'
  );
}
