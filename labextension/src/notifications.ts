/**
 * JupyterLab notifications for transitions (model.ts decides which): one per
 * transition, dismissed when the credential recovers.
 */
import { Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { entryLabel, notificationMessage, NotificationEffect, TransitionTracker } from './model';
import { CommandIDs } from './panel';
import { QcredStore } from './store';
import { IStatusUpdate } from './stream';

export class QcredNotifier {
  constructor(
    private store: QcredStore,
    private commands: CommandRegistry,
    private trans: TranslationBundle
  ) {
    store.updated.connect(this._onUpdate, this);
  }

  private _onUpdate(_: QcredStore, update: IStatusUpdate): void {
    // Track even when notifications are off, so turning them on later does
    // not replay old transitions.
    const effects = this._tracker.update(update.status, update.change);
    const s = this.store.settings;
    for (const effect of effects) {
      if (effect.kind !== 'resolved' && !s.providers.includes(effect.entry.provider)) {
        continue;
      }
      this._apply(effect, s.notifications);
    }
  }

  private _apply(effect: NotificationEffect, enabled: boolean): void {
    const t = this.trans;
    const previous = this._ids.get(effect.key);
    if (previous) {
      Notification.dismiss(previous);
      this._ids.delete(effect.key);
    }
    if (effect.kind === 'resolved' || !enabled) {
      return;
    }
    const e = effect.entry;
    const label = entryLabel(e);
    let id: string;
    if (effect.kind === 'needs_reinit') {
      id = Notification.error(
        notificationMessage(e, t.__('%1 was refused by the provider: re-initialize it.', label)),
        {
          autoClose: false,
          actions: [
            {
              label: t.__('Re-initialize'),
              caption: t.__('Provide fresh credentials for %1', label),
              displayType: 'accent',
              callback: () => void this.commands.execute(CommandIDs.reinitialize, { provider: e.provider })
            },
            {
              label: t.__('Open panel'),
              callback: () => void this.commands.execute(CommandIDs.open)
            }
          ]
        }
      );
    } else {
      id = Notification.warning(
        notificationMessage(e, t.__('Refreshing %1 keeps failing.', label)),
        {
          autoClose: false,
          actions: [
            {
              label: t.__('Retry'),
              caption: t.__('Refresh %1 now', label),
              displayType: 'accent',
              callback: () =>
                void this.commands.execute(CommandIDs.refresh, { provider: e.provider, name: e.name ?? '' })
            },
            {
              label: t.__('Open panel'),
              callback: () => void this.commands.execute(CommandIDs.open)
            }
          ]
        }
      );
    }
    this._ids.set(effect.key, id);
  }

  private _tracker = new TransitionTracker();
  private _ids = new Map<string, string>();
}
