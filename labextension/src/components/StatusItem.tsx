import { TranslationBundle } from '@jupyterlab/translation';
import { VDomRenderer } from '@jupyterlab/ui-components';
import * as React from 'react';
import { HEALTH_DESCRIPTIONS, HEALTH_LABELS } from '../model/health';
import { QcredStore } from '../store';
import { useNow } from './clock';
import { qcredIcon } from './icon';

interface IStatusButtonProps {
  store: QcredStore;
  trans: TranslationBundle;
  onClick: () => void;
}

function StatusButton({ store, trans, onClick }: IStatusButtonProps): React.ReactElement {
  // "expiring" also depends on the clock.
  const health = store.health(useNow(15000));
  const label = trans.__(HEALTH_LABELS[health]);
  // The credentials' health is what `jupyter qcred status` says; a folder that shadows one (what `doctor` says,
  // shown on the card) is added to the tooltip, not to the health.
  const folder = store.folder;
  const shadowed = folder?.sdks.some(f => f.state === 'differs')
    ? ' ' + trans.__('In %1 an SDK uses another credential than the panel shows: see its card.', folder.shown_path)
    : '';
  return (
    <button
      type="button"
      className={`jp-qcred-statusbutton jp-qcred-health--${health}`}
      data-testid="qcred-statusbar"
      data-health={health}
      title={
        trans.__(HEALTH_DESCRIPTIONS[health]) + shadowed + ' ' + trans.__('Click to open the Quantum credentials panel.')
      }
      aria-label={trans.__('%1. Open the Quantum credentials panel.', label)}
      onClick={onClick}
    >
      <qcredIcon.react tag="span" className="jp-qcred-statusicon" />
      <span className="jp-qcred-statustext">{label}</span>
    </button>
  );
}

/** Status bar item: one glance ("Quantum: OK" / "expiring" / "action needed"); a click opens the panel. */
export class QcredStatusItem extends VDomRenderer<QcredStore> {
  constructor(options: IStatusButtonProps) {
    super(options.store);
    this._trans = options.trans;
    this._onClick = options.onClick;
    this.addClass('jp-qcred-statusitem');
  }

  protected render(): React.ReactElement {
    return <StatusButton store={this.model} trans={this._trans} onClick={this._onClick} />;
  }

  private _trans: TranslationBundle;
  private _onClick: () => void;
}
