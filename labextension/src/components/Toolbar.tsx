import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import { CommandIDs } from '../tokens';
import type { IStatus } from '../types';
import { exec, IContext } from './context';

export function Toolbar({ ctx, status }: { ctx: IContext; status: IStatus | null }): React.ReactElement {
  const { store, trans } = ctx;
  const busy = store.busy;
  const fromHub = store.canReinitializeFromHub;
  const manual = trans.__('Paste a token, upload a credentials file or log in');
  return (
    <div className="jp-qcred-toolbar" role="toolbar" aria-label={trans.__('Quantum credential actions')}>
      <Button
        small
        id="qcred-refresh"
        data-testid="qcred-refresh"
        disabled={!status || busy.has('refresh')}
        title={trans.__('Renew the access tokens now')}
        onClick={() => exec(ctx, CommandIDs.refresh)}
      >
        {busy.has('refresh') ? trans.__('Refreshing…') : trans.__('Refresh')}
      </Button>
      <Button
        small
        id="qcred-reinit"
        data-testid="qcred-reinit"
        disabled={!status || busy.has('reinitialize')}
        title={fromHub ? trans.__('Fetch fresh credentials from JupyterHub and write them again') : manual}
        onClick={() => exec(ctx, CommandIDs.reinitialize)}
      >
        {busy.has('reinitialize') ? trans.__('Re-initializing…') : trans.__('Re-initialize')}
      </Button>
      {fromHub && (
        <Button
          small
          minimal
          id="qcred-add"
          data-testid="qcred-add"
          disabled={!status}
          title={manual}
          onClick={() => exec(ctx, CommandIDs.addCredentials)}
        >
          {trans.__('Add…')}
        </Button>
      )}
      {status && (
        <Button
          small
          id="qcred-restart"
          data-testid="qcred-restart"
          className="jp-qcred-restart"
          disabled={!store.canRestart || busy.has('restart')}
          aria-describedby={store.canRestart ? undefined : 'qcred-restart-reason'}
          title={
            store.canRestart
              ? trans.__('Stop this server and start it again through JupyterHub')
              : restartReason(trans, status)
          }
          onClick={() => exec(ctx, CommandIDs.restart)}
        >
          {busy.has('restart') ? trans.__('Restarting…') : trans.__('Restart server')}
        </Button>
      )}
      {status && !store.canRestart && (
        <p
          className="jp-qcred-muted jp-qcred-toolbar-note"
          id="qcred-restart-reason"
          data-testid="qcred-restart-reason"
        >
          {restartReason(trans, status)}
        </p>
      )}
    </div>
  );
}

/** Why Restart is disabled: the server's sentence, or the widget's for older servers. */
function restartReason(trans: TranslationBundle, status: IStatus): string {
  return (
    status.hub?.restart_unavailable ??
    (status.hub?.available
      ? trans.__("This server's hub token may not stop the server: ask the hub's admin.")
      : trans.__('Only a server started by JupyterHub can restart itself.'))
  );
}
