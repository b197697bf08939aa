/**
 * Status bar item: one glance ("Quantum: OK" / "expiring" / "action needed");
 * clicking opens the panel.
 */
import * as React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';
import { VDomRenderer } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { qcredIcon } from './icon';
import { HEALTH_DESCRIPTIONS, HEALTH_LABELS } from './model';
import { QcredStore } from './store';

export class QcredStatusItem extends VDomRenderer<QcredStore> {
  constructor(options: { store: QcredStore; trans: TranslationBundle; onClick: () => void }) {
    super(options.store);
    this._trans = options.trans;
    this._onClick = options.onClick;
    this.addClass('jp-qcred-statusitem');
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    // "expiring" also depends on the clock: re-evaluate now and then.
    this._timer = window.setInterval(() => this.update(), 15000);
  }

  protected onBeforeDetach(msg: Message): void {
    window.clearInterval(this._timer);
    super.onBeforeDetach(msg);
  }

  protected render(): React.ReactElement {
    const t = this._trans;
    const health = this.model.health();
    const label = t.__(HEALTH_LABELS[health]);
    return (
      <button
        type="button"
        className={`jp-qcred-statusbutton jp-qcred-health--${health}`}
        data-testid="qcred-statusbar"
        data-health={health}
        title={t.__(HEALTH_DESCRIPTIONS[health]) + ' ' + t.__('Click to open the Quantum credentials panel.')}
        aria-label={t.__('%1. Open the Quantum credentials panel.', label)}
        onClick={this._onClick}
      >
        <qcredIcon.react tag="span" className="jp-qcred-statusicon" />
        <span className="jp-qcred-statustext">{label}</span>
      </button>
    );
  }

  private _trans: TranslationBundle;
  private _onClick: () => void;
  private _timer = 0;
}
