/** Toasts answering the operations a user started. */
import { Notification } from '@jupyterlab/apputils';
import { IToastOptions, resultToast } from './model/notifications';
import type { IOperationAnswer } from './types';

/** The toast of the last operation: the next answer replaces it. */
let shown: string | null = null;

/** Show the sentence of an operation's result (model/notifications.ts decides which). */
export function showResult(answer: IOperationAnswer, options: IToastOptions = {}): void {
  if (shown) {
    Notification.dismiss(shown);
    shown = null;
  }
  const toast = resultToast(answer.result, options);
  if (toast) {
    shown = Notification.emit(toast.message, toast.type, { autoClose: toast.type === 'success' ? 4000 : 8000 });
  }
}
