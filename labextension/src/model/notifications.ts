/**
 * Which notifications to show, decided from the server's own fields
 * (`state`, `failures`, `last_refresh`) and operation results.
 */
import type { ICredentialEntry, IOperationResult, IStatus } from '../types';
import { entryKey, entryLabel, PROVIDER_TITLES } from './status';

export type AlertKind = 'needs_reinit' | 'failing';

export type NotificationEffect =
  /** `update`: the notification already shown for `key` gets the new sentence (same toast, new count). */
  | { kind: AlertKind; key: string; entry: ICredentialEntry; update?: boolean }
  | { kind: 'resolved'; key: string; entry: ICredentialEntry | null };

/** Failed refreshes in a row that make "refreshing keeps failing". */
export const FAILING_AFTER = 2;

interface IAlert {
  kind: AlertKind;
  /** A new signature means a new notification; the same one is never shown twice. */
  signature: string;
}

/** What a credential needs notifying about now, if anything. */
export function alertOf(e: ICredentialEntry): IAlert | null {
  if (e.state === 'needs_reinit') {
    // One per refused attempt (a refused manual refresh notifies again), one in all without attempts.
    const attempt = e.last_refresh?.outcome === 'refused' ? e.last_refresh.at : '';
    return { kind: 'needs_reinit', signature: `needs_reinit@${attempt}` };
  }
  if ((e.failures ?? 0) >= FAILING_AFTER) {
    return { kind: 'failing', signature: 'failing' };
  }
  return null;
}

/**
 * Turns statuses into notification effects:
 *
 * - `needs_reinit` when a credential is in that state (including when first
 *   seen so), again after each refused refresh attempt;
 * - `failing` once per streak of `failures >= 2` (no repeat on later failures);
 * - `resolved` when a notified credential no longer needs it or disappears.
 *
 * `refreshing` changes nothing: the attempt's outcome decides.
 */
export class NotificationPlanner {
  update(status: IStatus): NotificationEffect[] {
    const effects: NotificationEffect[] = [];
    const seen = new Set<string>();
    for (const e of status.providers ?? []) {
      if (e.state === 'absent' || e.name === null) {
        continue;
      }
      const key = entryKey(e);
      seen.add(key);
      if (e.state === 'refreshing') {
        continue;
      }
      const alert = alertOf(e);
      const shown = this._shown.get(key);
      if (!alert) {
        if (shown) {
          effects.push({ kind: 'resolved', key, entry: e });
          this._shown.delete(key);
          this._failures.delete(key);
        }
      } else if (alert.signature !== shown) {
        effects.push({ kind: alert.kind, key, entry: e });
        this._shown.set(key, alert.signature);
        this._failures.set(key, e.failures ?? 0);
      } else if (alert.kind === 'failing' && (e.failures ?? 0) !== this._failures.get(key)) {
        // The card counts every attempt; the toast already shown says the same count, without a new toast.
        effects.push({ kind: alert.kind, key, entry: e, update: true });
        this._failures.set(key, e.failures ?? 0);
      }
    }
    for (const key of [...this._shown.keys()].filter(k => !seen.has(k))) {
      effects.push({ kind: 'resolved', key, entry: null });
      this._shown.delete(key);
      this._failures.delete(key);
    }
    return effects;
  }

  private _shown = new Map<string, string>();
  private _failures = new Map<string, number>();
}

/** The server's sentence about what went wrong with `e`: its error, else its last refresh's. */
export function entryError(e: ICredentialEntry): string | null {
  return e.error ?? e.last_refresh?.error ?? null;
}

/**
 * The sentence of a notification about `e`: its error, prefixed with the
 * credential's label unless it already starts with the provider's name
 * (JupyterLab cuts notifications at 140 characters: a repeated prefix would
 * push out the advice); `fallback` without one.
 */
export function notificationMessage(e: ICredentialEntry, fallback: string): string {
  const error = entryError(e);
  if (!error) {
    return fallback;
  }
  const title = PROVIDER_TITLES[e.provider] ?? e.provider;
  return error.startsWith(title) ? error : `${entryLabel(e)}: ${error}`;
}

export interface IToast {
  type: 'success' | 'error' | 'info' | 'warning';
  message: string;
}

export interface IToastOptions {
  /** Refusals have notifications of their own (with the Re-initialize action): none for them alone. */
  refusalsNotified?: boolean;
  /** No toast on success (the view shows the change already). */
  quietSuccess?: boolean;
  /** The success sentence for servers that send no result. */
  fallback?: string;
  /**
   * The answer repeats an earlier attempt (a Refresh clicked again within the server's interval): this sentence,
   * saying so plainly, as a neutral note (never a green success for an attempt that was not made).
   */
  notTried?: string;
  /** Every failure is a refresh retrying with time left: this sentence is added, and the toast is a calm warning. */
  calm?: string | null;
}

/** The toast answering an operation the user started: its result's sentence, as a success or an error. */
export function resultToast(result: IOperationResult | null | undefined, options: IToastOptions = {}): IToast | null {
  const { refusalsNotified = false, quietSuccess = false, fallback, notTried, calm } = options;
  if (notTried) {
    return { type: 'info', message: notTried };
  }
  if (calm && result && result.outcome === 'failed') {
    return { type: 'warning', message: `${result.message} ${calm}` };
  }
  if (result && result.outcome === 'ok' && result.attention) {
    return { type: 'warning', message: result.message };
  }
  if (!result || result.outcome === 'ok') {
    const message = result ? result.message : fallback;
    return message && !quietSuccess ? { type: 'success', message } : null;
  }
  const outcomes = result.credentials?.length ? result.credentials.map(c => c.outcome) : [result.outcome];
  const refusedOnly = outcomes.includes('refused') && !outcomes.includes('failed');
  return refusalsNotified && refusedOnly ? null : { type: 'error', message: result.message };
}
