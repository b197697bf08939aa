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
      {store.canRestart && (
        <Button
          small
          id="qcred-restart"
          data-testid="qcred-restart"
          className="jp-qcred-restart"
          disabled={busy.has('restart')}
          title={trans.__('Stop this server and start it again through JupyterHub')}
          onClick={() => exec(ctx, CommandIDs.restart)}
        >
          {busy.has('restart') ? trans.__('Restarting…') : trans.__('Restart server')}
        </Button>
      )}
    </div>
  );
}
