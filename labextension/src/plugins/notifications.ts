import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import {
  AlertKind,
  entryError,
  NotificationEffect,
  notificationMessage,
  NotificationPlanner
} from '../model/notifications';
import { dismissRecovered } from '../feedback';
import { retryingSentence } from '../model/notes';
import { entryLabel } from '../model/status';
import { QcredStore } from '../store';
import { CommandIDs, IQcredStore, PluginIDs, TRANSLATION_DOMAIN } from '../tokens';
import type { ICredentialEntry } from '../types';

interface IAlertView {
  type: 'error' | 'warning';
  message: string;
  action: string;
  caption: string;
  command: string;
  args: ReadonlyPartialJSONObject;
}

/** JupyterLab notifications for the credentials (model/notifications.ts decides which), dismissed on recovery. */
class QcredNotifier {
  constructor(
    private store: QcredStore,
    private commands: CommandRegistry,
    private trans: TranslationBundle
  ) {
    store.updated.connect(this._onUpdate, this);
  }

  private _onUpdate(): void {
    const { status, settings } = this.store;
    if (!status) {
      return;
    }
    // An operation's error toast about credentials that are fine again goes (from the notification center too).
    dismissRecovered(status);
    // Planned even when notifications are off, so turning them on later does not replay old ones.
    for (const effect of this._planner.update(status)) {
      if (effect.kind === 'resolved' || (settings.providers ?? [effect.entry.provider]).includes(effect.entry.provider)) {
        this._apply(effect, settings.notifications);
      }
    }
  }

  private _apply(effect: NotificationEffect, enabled: boolean): void {
    const previous = this._ids.get(effect.key);
    if (effect.kind !== 'resolved' && effect.update) {
      if (previous) {
        const view = this._view(effect.kind, effect.entry);
        Notification.update({ id: previous, message: view.message, type: view.type, autoClose: false });
      }
      return;
    }
    if (previous) {
      Notification.dismiss(previous);
      this._ids.delete(effect.key);
    }
    if (effect.kind !== 'resolved' && enabled) {
      this._ids.set(effect.key, this._show(effect.kind, effect.entry));
    }
  }

  private _show(kind: AlertKind, e: ICredentialEntry): string {
    const view = this._view(kind, e);
    const run = (command: string, args?: ReadonlyPartialJSONObject) => () => void this.commands.execute(command, args);
    return Notification.emit(view.message, view.type, {
      autoClose: false,
      actions: [
        { label: view.action, caption: view.caption, displayType: 'accent', callback: run(view.command, view.args) },
        { label: this.trans.__('Open panel'), callback: run(CommandIDs.open) }
      ]
    });
  }

  private _view(kind: AlertKind, e: ICredentialEntry): IAlertView {
    const t = this.trans;
    const label = entryLabel(e);
    if (kind === 'needs_reinit') {
      return {
        type: 'error',
        message: notificationMessage(e, t.__('%1 was refused by the provider: re-initialize it.', label)),
        action: t.__('Re-initialize'),
        caption: t.__('Provide fresh credentials for %1', label),
        command: CommandIDs.reinitialize,
        // The account's own dialog, with the fix a person can do first (QCS: the browser login).
        args: { provider: e.provider, name: e.name ?? '' }
      };
    }
    const headline = t.__('Refreshing %1 keeps failing (%2 attempts in a row).', label, e.failures ?? 0);
    return {
      type: 'warning',
      // The calm part first: JupyterLab cuts notifications at 140 characters.
      message: [headline, retryingSentence(e, Date.now()), entryError(e)].filter(Boolean).join(' '),
      action: t.__('Retry'),
      caption: t.__('Refresh %1 now', label),
      command: CommandIDs.refresh,
      args: { provider: e.provider, name: e.name ?? '' }
    };
  }

  private _planner = new NotificationPlanner();
  private _ids = new Map<string, string>();
}

/** Notifications when a credential needs re-initializing or its refreshes keep failing. */
export const notificationsPlugin: JupyterFrontEndPlugin<void> = {
  id: PluginIDs.notifications,
  description: 'Notifications when a quantum credential needs re-initializing or its refreshes keep failing.',
  autoStart: true,
  requires: [IQcredStore],
  optional: [ITranslator],
  activate: (app: JupyterFrontEnd, store: QcredStore, translator: ITranslator | null): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    new QcredNotifier(store, app.commands, trans);
  }
};
