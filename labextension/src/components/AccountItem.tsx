import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import { entryBadge, lastRefreshInfo, retryInfo } from '../model/badges';
import { tokenLeft, warningsOf } from '../model/notes';
import { entryLabel, slug } from '../model/status';
import { CommandIDs } from '../tokens';
import type { ICredentialEntry } from '../types';
import { exec, IContext } from './context';
import { useNow } from './clock';
import { Countdown } from './Countdown';
import { IbmDetails, InstancePicker } from './IbmAccount';
import { QcsDetails } from './QcsProfile';
import { Value } from './Value';

/**
 * What any other provider says about a credential: its `account.fields`, label and value, as given; each value on
 * one line like IBM's and QCS's (an ellipsis in a narrow card, the whole value in the tooltip).
 */
function FieldDetails({ ctx, entry, testid }: IAccountProps): React.ReactElement {
  const fields = (entry.account?.fields ?? []) as Array<[string, string]>;
  return (
    <>
      {fields.map(([label, value], i) => (
        <React.Fragment key={i}>
          <dt>{label}</dt>
          <dd>
            <Value ctx={ctx} value={String(value)} testid={`qcred-field-${testid}-${i}`} />
          </dd>
        </React.Fragment>
      ))}
    </>
  );
}

/** Props of the parts of an account item; `testid` ends every test id: `<provider>-<name>`. */
export interface IAccountProps {
  ctx: IContext;
  entry: ICredentialEntry;
  testid: string;
}

/** One account or profile: state, details, the server's refresh record, actions. */
export function AccountItem({ ctx, entry }: { ctx: IContext; entry: ICredentialEntry }): React.ReactElement {
  const { trans } = ctx;
  const testid = `${entry.provider}-${slug(entry.name)}`;
  const badge = entryBadge(entry);
  const props: IAccountProps = { ctx, entry, testid };
  return (
    <article
      className={`jp-qcred-account jp-qcred-account--${entry.retrying ? 'retrying' : entry.state}`}
      data-testid={`qcred-account-${testid}`}
      aria-label={trans.__('%1: %2', entryLabel(entry), badge.text)}
    >
      <div className="jp-qcred-account-head">
        <span className="jp-qcred-account-name" title={entry.name ?? ''}>
          {entry.name ?? ''}
        </span>
        {entry.default && (
          <span className="jp-qcred-tag" data-testid={`qcred-default-mark-${testid}`}>
            {trans.__('default')}
          </span>
        )}
        <span
          className={`jp-qcred-badge ${badge.className}`}
          data-testid={`qcred-state-${testid}`}
          data-state={entry.state}
          title={trans.__(badge.description)}
        >
          {trans.__(badge.text)}
        </span>
      </div>
      <dl className="jp-qcred-details">
        {entry.provider === 'ibm' ? (
          <IbmDetails {...props} />
        ) : entry.provider === 'qcs' ? (
          <QcsDetails {...props} />
        ) : (
          <FieldDetails {...props} />
        )}
        <CommonDetails {...props} />
      </dl>
      {entry.provider === 'ibm' && <InstancePicker {...props} />}
      {entry.error && (
        <p
          className={entry.state === 'unsupported' || entry.retrying ? 'jp-qcred-warn' : 'jp-qcred-error'}
          data-testid={`qcred-error-${testid}`}
        >
          {entry.error}
        </p>
      )}
      <Warnings {...props} />
      <Retry {...props} />
      <Actions {...props} />
    </article>
  );
}

function CommonDetails({ ctx, entry, testid }: IAccountProps): React.ReactElement {
  const { trans } = ctx;
  const last = lastRefreshInfo(entry);
  return (
    <>
      <dt>{trans.__('Access token')}</dt>
      <dd>
        <Countdown
          ctx={ctx}
          expiresAt={entry.expires_at}
          label={entryLabel(entry)}
          testid={`qcred-countdown-${testid}`}
        />
      </dd>
      {last && (
        <>
          <dt>{trans.__('Last refresh')}</dt>
          <dd data-testid={`qcred-last-refresh-${testid}`} data-outcome={last.outcome}>
            {trans.__('%1 at %2', trans.__(last.words), last.time)}
          </dd>
        </>
      )}
      {(entry.token_hint || entry.source) && (
        <>
          <dt>{trans.__('Source')}</dt>
          <dd className="jp-qcred-muted" title={entry.file ?? undefined}>
            <Value ctx={ctx} value={[entry.source, entry.token_hint].filter(Boolean).join(' · ')} />
          </dd>
        </>
      )}
    </>
  );
}

/** The status's warnings: something to fix that does not stop the credential from working (calm, not an error). */
function Warnings({ entry, testid }: IAccountProps): React.ReactElement | null {
  const warnings = warningsOf(entry);
  if (!warnings.length) {
    return null;
  }
  return (
    <div className="jp-qcred-message jp-qcred-message--warn" role="note" data-testid={`qcred-warnings-${testid}`}>
      {warnings.map((w, i) => (
        <p key={i} className="jp-qcred-warning" data-testid={`qcred-warning-${testid}`}>
          {w}
        </p>
      ))}
    </div>
  );
}

/** How many refreshes failed in a row, and when the server tries again. */
function Retry({ ctx, entry, testid }: IAccountProps): React.ReactElement | null {
  const { trans } = ctx;
  const retry = retryInfo(entry);
  const failures = entry.failures ?? 0;
  const left = tokenLeft(entry, useNow(30000, !!entry.retrying));
  if (!retry && failures === 0) {
    return null;
  }
  return (
    <p
      className="jp-qcred-muted"
      data-testid={`qcred-retry-${testid}`}
      data-failures={failures}
      data-retrying={left ? 'true' : 'false'}
    >
      {failures > 0 && trans._n('%1 failed attempt.', '%1 failed attempts in a row.', failures)}{' '}
      {retry &&
        (left
          ? trans.__('Retrying at %1 (attempt %2); the token is valid for %3.', retry.time, retry.attempt, left)
          : trans.__('Retrying at %1 (attempt %2).', retry.time, retry.attempt))}
    </p>
  );
}

function Actions({ ctx, entry, testid }: IAccountProps): React.ReactElement {
  const { trans, store } = ctx;
  const label = entryLabel(entry);
  const failed = entry.state === 'error';
  // A provider with a browser login of its own (Nexus) offers it to redo a login, not only after Remove.
  const login = entry.provider !== 'qcs' && !!store.status?.provider_info?.[entry.provider]?.methods.includes('login');
  const needsReinit = entry.state === 'needs_reinit' || entry.state === 'expired' || entry.state === 'unsupported';
  const args = { provider: entry.provider, name: entry.name ?? '' };
  return (
    <div className="jp-qcred-actions">
      <Button
        small
        minimal={!needsReinit}
        data-testid={`qcred-reinit-${testid}`}
        aria-label={trans.__('Re-initialize %1', label)}
        title={trans.__('Provide fresh credentials for %1', label)}
        onClick={() => exec(ctx, CommandIDs.reinitialize, args)}
      >
        {trans.__('Re-initialize…')}
      </Button>
      {login && (
        <Button
          small
          minimal={!needsReinit}
          data-testid={`qcred-login-again-${testid}`}
          aria-label={trans.__('Log in to %1 again', label)}
          title={trans.__('Replace %1 with a new browser login (device code)', label)}
          disabled={store.busy.has('login') || store.busy.has('reinitialize')}
          onClick={() => exec(ctx, CommandIDs.loginQcs, { provider: entry.provider, profile: entry.name ?? '' })}
        >
          {trans.__('Log in again…')}
        </Button>
      )}
      {entry.state !== 'unsupported' && (
        <Button
          small
          minimal={!failed}
          data-testid={`qcred-refresh-${testid}`}
          aria-label={trans.__('Refresh %1', label)}
          disabled={store.busy.has('refresh')}
          onClick={() => exec(ctx, CommandIDs.refresh, args)}
        >
          {failed ? trans.__('Retry') : trans.__('Refresh')}
        </Button>
      )}
      <Button
        small
        minimal
        className="jp-qcred-remove"
        data-testid={`qcred-remove-${testid}`}
        aria-label={trans.__('Remove %1', label)}
        title={trans.__('Delete %1 from the SDK files (asks first)', label)}
        disabled={store.busy.has('remove')}
        onClick={() => exec(ctx, CommandIDs.remove, args)}
      >
        {trans.__('Remove…')}
      </Button>
    </div>
  );
}
