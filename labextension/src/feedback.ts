/** Toasts answering the operations a user started. */
import { Notification } from '@jupyterlab/apputils';
import { actionNeeded } from './model/health';
import { IToastOptions, resultToast } from './model/notifications';
import { entryKey } from './model/status';
import type { IOperationAnswer, IStatus } from './types';

/** The toast of the last operation: the next answer replaces it. */
let shown: string | null = null;
/** The credentials an error toast is about: when none of them needs anything any more, it goes. */
let about: string[] = [];

/** Show the sentence of an operation's result (model/notifications.ts decides which). */
export function showResult(answer: IOperationAnswer, options: IToastOptions = {}): void {
  if (shown) {
    Notification.dismiss(shown);
    shown = null;
  }
  const toast = resultToast(answer.result, options);
  about = [];
  if (toast) {
    const autoClose = toast.type === 'success' ? 4000 : toast.type === 'info' ? 6000 : 8000;
    shown = Notification.emit(toast.message, toast.type, { autoClose });
    if (toast.type === 'error' || toast.type === 'warning') {
      about = (answer.result?.credentials ?? []).filter(c => c.outcome !== 'ok').map(entryKey);
    }
  }
}

/**
 * Dismiss the last error toast once every credential it was about is fine again or gone (a "refused …
 * Re-initialize" must not stay in the notification center after the fix).
 */
export function dismissRecovered(status: IStatus): void {
  if (!shown || !about.length) {
    return;
  }
  const entries = new Map((status.providers ?? []).map(e => [entryKey(e), e]));
  // Fine again: usable and not failing (a refresh retrying with time left is calm, but has not recovered yet).
  const recovered = about.every(k => {
    const e = entries.get(k);
    return !e || (!actionNeeded(e) && (e.state === 'ok' || e.state === 'expiring'));
  });
  if (recovered) {
    Notification.dismiss(shown);
    shown = null;
    about = [];
  }
}
