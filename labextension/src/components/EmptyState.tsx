import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import { CommandIDs } from '../tokens';
import { exec, IContext } from './context';

/** Shown while no provider has a credential. */
export function EmptyState({ ctx }: { ctx: IContext }): React.ReactElement {
  const { trans, store } = ctx;
  return (
    <div className="jp-qcred-message" data-testid="qcred-empty">
      <p>
        <strong>{trans.__('No quantum credentials yet.')}</strong>
      </p>
      <p>
        {store.canReinitializeFromHub
          ? trans.__(
              'Choose Re-initialize to fetch them from JupyterHub, or Add… to paste an IBM Quantum API key or a Rigetti QCS refresh token, upload a credentials file you downloaded (qiskit-ibm.json, qiskitrc, secrets.toml), or log in to Rigetti QCS in your browser.'
            )
          : trans.__(
              'Choose Add credentials to paste an IBM Quantum API key or a Rigetti QCS refresh token, upload a credentials file you downloaded (qiskit-ibm.json, qiskitrc, secrets.toml), or log in to Rigetti QCS in your browser. Credentials saved by the SDKs in ~/.qiskit and ~/.qcs appear here by themselves.'
            )}
      </p>
      <div className="jp-qcred-actions">
        <Button small data-testid="qcred-empty-add" onClick={() => exec(ctx, CommandIDs.addCredentials)}>
          {trans.__('Add credentials…')}
        </Button>
        <Button small minimal data-testid="qcred-empty-login" onClick={() => exec(ctx, CommandIDs.loginQcs)}>
          {trans.__('Log in to Rigetti QCS')}
        </Button>
      </div>
    </div>
  );
}
