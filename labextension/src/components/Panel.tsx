import { TranslationBundle } from '@jupyterlab/translation';
import { Button, VDomRenderer } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { cardHealth, CardHealth, orderProviders } from '../model/fold';
import { shadowsOf } from '../model/folder';
import { entriesOf, shownProviders } from '../model/status';
import { QcredStore } from '../store';
import type { ConnectionState } from '../stream';
import { PANEL_ID } from '../tokens';
import type { IStatus } from '../types';
import { IContext } from './context';
import { EmptyState } from './EmptyState';
import { qcredIcon } from './icon';
import { Logins } from './Logins';
import { ProviderCard } from './ProviderCard';
import { Toolbar } from './Toolbar';

/** The left-sidebar panel. */
export class QcredPanel extends VDomRenderer<QcredStore> {
  constructor(options: IContext) {
    super(options.store);
    this._commands = options.commands;
    this._trans = options.trans;
    this.id = PANEL_ID;
    this.addClass('jp-qcred-panel');
    this.title.icon = qcredIcon;
    this.title.caption = options.trans.__('Quantum credentials');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', options.trans.__('Quantum credentials'));
    this.node.dataset.testid = 'qcred-panel';
  }

  protected render(): React.ReactElement {
    return <PanelView ctx={{ store: this.model, commands: this._commands, trans: this._trans }} />;
  }

  private _commands: CommandRegistry;
  private _trans: TranslationBundle;
}

function PanelView({ ctx }: { ctx: IContext }): React.ReactElement {
  const { store, trans } = ctx;
  const status = store.status;
  return (
    <div className="jp-qcred-root">
      <header className="jp-qcred-header">
        <h2 className="jp-qcred-title">{trans.__('Quantum credentials')}</h2>
        <HubLine ctx={ctx} status={status} />
      </header>
      <Toolbar ctx={ctx} status={status} />
      <div className="jp-qcred-body">{status ? <Cards ctx={ctx} status={status} /> : <NoStatus ctx={ctx} />}</div>
    </div>
  );
}

function NoStatus({ ctx }: { ctx: IContext }): React.ReactElement {
  const { store, trans } = ctx;
  if (!store.loadError) {
    return (
      <div className="jp-qcred-message" role="status" data-testid="qcred-loading">
        {trans.__('Loading the state of your quantum credentials…')}
      </div>
    );
  }
  return (
    <div className="jp-qcred-message jp-qcred-message--error" role="alert" data-testid="qcred-error">
      <p>{store.loadError}</p>
      <p>
        {trans.__(
          'The panel keeps retrying by itself. If this lasts, reload the page or restart your server from the hub control panel.'
        )}
      </p>
      <Button small onClick={() => void store.fetchNow()} data-testid="qcred-retry">
        {trans.__('Retry now')}
      </Button>
    </div>
  );
}

function Cards({ ctx, status }: { ctx: IContext; status: IStatus }): React.ReactElement {
  const { store, trans } = ctx;
  const shown = shownProviders(status, store.settings.providers);
  const health = new Map<string, CardHealth>(
    shown.map(p => [p, cardHealth(status, p, shadowsOf(store.folder, p).length)])
  );
  // Action first, then what is worth reading, then all well, then not set up; the server's order within each.
  const providers = orderProviders(shown, p => health.get(p) ?? 'none');
  const configured = providers.some(p => entriesOf(status, p).some(e => e.state !== 'absent'));
  return (
    <>
      {store.loadError && (
        <div className="jp-qcred-message jp-qcred-message--warn" role="alert" data-testid="qcred-offline">
          {store.loadError} {trans.__('Showing the last known state; retrying by itself.')}
        </div>
      )}
      {!configured && <EmptyState ctx={ctx} />}
      <Logins ctx={ctx} logins={(status.logins ?? []).filter(l => l.state === 'pending')} />
      {providers.map(p => (
        <ProviderCard key={p} ctx={ctx} provider={p} status={status} health={health.get(p) ?? 'none'} />
      ))}
    </>
  );
}

function connectionText(trans: TranslationBundle, connection: ConnectionState): string {
  switch (connection) {
    case 'live':
      return trans.__('live updates');
    case 'polling':
      return trans.__('updates every few seconds');
    case 'offline':
      return trans.__('server unreachable');
    default:
      return '';
  }
}

function HubLine({ ctx, status }: { ctx: IContext; status: IStatus | null }): React.ReactElement {
  const { trans, store } = ctx;
  const hub = status?.hub;
  const conn = store.connection;
  const user = hub?.available && hub.user ? trans.__('JupyterHub user %1', hub.user) : '';
  return (
    <div className="jp-qcred-subtitle" data-testid="qcred-connection" data-connection={conn}>
      {[user, connectionText(trans, conn)].filter(Boolean).join(' · ')}
    </div>
  );
}
