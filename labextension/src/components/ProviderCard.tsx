import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import { accountsOf, defaultName, entriesOf, providerTitle } from '../model/status';
import { CommandIDs } from '../tokens';
import type { IStatus, ProviderId } from '../types';
import { AccountItem } from './AccountItem';
import { exec, IContext } from './context';
import { DefaultPicker } from './DefaultPicker';

/** One provider: its default picker and its accounts, or how to set it up. */
export function ProviderCard({
  ctx,
  provider,
  status
}: {
  ctx: IContext;
  provider: ProviderId;
  status: IStatus;
}): React.ReactElement {
  const { trans } = ctx;
  const title = trans.__(providerTitle(status, provider));
  const accounts = accountsOf(status, provider);
  const headingId = `qcred-card-${provider}-title`;
  return (
    <section className="jp-qcred-card" data-testid={`qcred-card-${provider}`} aria-labelledby={headingId}>
      <h3 className="jp-qcred-card-title" id={headingId}>
        {title}
      </h3>
      {accounts.length === 0 ? (
        <SetUp ctx={ctx} provider={provider} status={status} title={title} />
      ) : (
        <>
          {accounts.length > 1 && (
            <DefaultPicker
              ctx={ctx}
              id={`qcred-default-${provider}`}
              label={provider === 'qcs' ? trans.__('Default profile') : trans.__('Default account')}
              current={defaultName(status, provider) ?? ''}
              choices={accounts.map(a => a.name ?? '')}
              body={name => ({ provider, name })}
            />
          )}
          <ul className="jp-qcred-accounts">
            {accounts.map(e => (
              <li key={e.name ?? ''}>
                <AccountItem ctx={ctx} entry={e} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function SetUp({
  ctx,
  provider,
  status,
  title
}: {
  ctx: IContext;
  provider: ProviderId;
  status: IStatus;
  title: string;
}): React.ReactElement {
  const { trans } = ctx;
  const absent = entriesOf(status, provider).find(e => e.state === 'absent');
  const login = provider === 'qcs' || !!status.provider_info?.[provider]?.methods.includes('login');
  return (
    <div className="jp-qcred-card-empty" data-testid={`qcred-empty-${provider}`}>
      <p>{absent?.error ?? trans.__('No %1 credential is configured.', title)}</p>
      <Button
        small
        data-testid={`qcred-setup-${provider}`}
        aria-label={trans.__('Set up %1', title)}
        onClick={() => exec(ctx, login ? CommandIDs.loginQcs : CommandIDs.addCredentials, { provider })}
      >
        {login ? trans.__('Log in…') : trans.__('Set up…')}
      </Button>
    </div>
  );
}
