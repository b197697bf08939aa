import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';
import { CardHealth, foldParts, foldState } from '../model/fold';
import { quietAdapters, shadowsOf } from '../model/folder';
import { redactionNotes } from '../model/notes';
import { accountsOf, defaultName, entriesOf, providerTitle } from '../model/status';
import { CommandIDs } from '../tokens';
import type { IStatus, ProviderId } from '../types';
import { AccountItem } from './AccountItem';
import { useNow } from './clock';
import { exec, IContext } from './context';
import { DefaultPicker } from './DefaultPicker';
import { Value } from './Value';

/**
 * One provider: its default picker and its accounts, or how to set it up. All well, it folds to one line (title ·
 * credentials · state · soonest expiry); a person opens and closes it with the title's button, and the choice is
 * remembered (model/fold.ts) until the card comes to need action, when it opens by itself.
 */
export function ProviderCard({
  ctx,
  provider,
  status,
  health
}: {
  ctx: IContext;
  provider: ProviderId;
  status: IStatus;
  health: CardHealth;
}): React.ReactElement {
  const { trans, store } = ctx;
  const title = trans.__(providerTitle(status, provider));
  const { open, stale, carries } = foldState(health, store.folds.get(provider));
  React.useEffect(() => {
    if (stale) {
      store.folds.forget(provider); // the card came to need action: the person's earlier choice ends
    } else if (carries) {
      store.folds.set(provider, { open, health }); // no longer needs action: the next time, it opens again
    }
  }, [stale, carries, open, health, provider, store]);
  const headingId = `qcred-card-${provider}-title`;
  const bodyId = `qcred-card-${provider}-body`;
  return (
    <section
      className={`jp-qcred-card jp-qcred-card--${health}${open ? '' : ' jp-qcred-card--folded'}`}
      data-testid={`qcred-card-${provider}`}
      data-health={health}
      data-open={String(open)}
      aria-labelledby={headingId}
    >
      <h3 className="jp-qcred-card-title" id={headingId}>
        <button
          type="button"
          className="jp-qcred-fold"
          aria-expanded={open}
          aria-controls={bodyId}
          data-testid={`qcred-fold-${provider}`}
          onClick={() => store.setFold(provider, { open: !open, health })}
        >
          <span className="jp-qcred-fold-caret" aria-hidden="true" />
          {open ? (
            <span className="jp-qcred-fold-title">{title}</span>
          ) : (
            <FoldedLine ctx={ctx} provider={provider} status={status} title={title} health={health} />
          )}
        </button>
      </h3>
      <div className="jp-qcred-card-body" id={bodyId} hidden={!open} data-testid={`qcred-card-body-${provider}`}>
        <CardBody ctx={ctx} provider={provider} status={status} title={title} />
      </div>
    </section>
  );
}

/**
 * The one line of a folded card: "IonQ · key default · OK · never expires". In a narrow sidebar it reads as two
 * rows, title and state, then names and expiry (style/base.css); the separators are the stylesheet's.
 */
function FoldedLine({
  ctx,
  provider,
  status,
  title,
  health
}: {
  ctx: IContext;
  provider: ProviderId;
  status: IStatus;
  title: string;
  health: CardHealth;
}): React.ReactElement {
  const { trans } = ctx;
  const now = useNow(30000, health !== 'none');
  const p = foldParts(status, provider, { title, noun: trans.__(nounOf(status, provider)) }, now);
  return (
    <span className="jp-qcred-fold-line" data-testid={`qcred-fold-line-${provider}`}>
      <span className="jp-qcred-fold-head">
        <span className="jp-qcred-fold-title">{title}</span>
        <span
          className={`jp-qcred-fold-part jp-qcred-fold-state jp-qcred-fold-state--${health}`}
          data-testid={`qcred-fold-state-${provider}`}
        >
          {trans.__(p.state)}
        </span>
      </span>
      {p.names !== null && (
        <span className="jp-qcred-fold-tail">
          <span
            className="jp-qcred-fold-part jp-qcred-fold-names"
            title={[p.noun, p.names].filter(Boolean).join(' ')}
          >
            {p.noun && <span className="jp-qcred-fold-noun">{`${p.noun} `}</span>}
            {p.names}
          </span>
          <span className="jp-qcred-fold-part jp-qcred-fold-expiry" data-testid={`qcred-fold-expiry-${provider}`}>
            {trans.__(p.expiry ?? '')}
          </span>
        </span>
      )}
    </span>
  );
}

/** What an open card shows: notes, a file that cannot be read, the default picker and the accounts, or set-up. */
function CardBody({
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
  const accounts = accountsOf(status, provider);
  // A file the server could not read is an error to show with its file, line and column, not "not set up".
  const broken = entriesOf(status, provider).filter(e => e.name === null && e.state === 'error');
  const current = defaultName(status, provider) ?? '';
  // An account the installed SDK refuses cannot become the default.
  const choices = accounts.filter(a => a.state !== 'unsupported' || a.name === current).map(a => a.name ?? '');
  return (
    <>
      <FolderNotes ctx={ctx} provider={provider} status={status} />
      <RedactionNotes ctx={ctx} provider={provider} status={status} />
      {broken.map((e, i) => (
        <BrokenFile key={e.file ?? i} ctx={ctx} provider={provider} error={e.error} file={e.file ?? null} />
      ))}
      {accounts.length === 0 ? (
        broken.length === 0 && <SetUp ctx={ctx} provider={provider} status={status} title={title} />
      ) : (
        <>
          {choices.length > 1 && (
            <DefaultPicker
              ctx={ctx}
              id={`qcred-default-${provider}`}
              label={trans.__('Default %1', nounOf(status, provider))}
              current={current}
              choices={choices}
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
    </>
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

/** A credentials file the server could not read: the sentence names the file, line and column. */
function BrokenFile({
  ctx,
  provider,
  error,
  file
}: {
  ctx: IContext;
  provider: ProviderId;
  error: string | null;
  file: string | null;
}): React.ReactElement {
  const { trans } = ctx;
  return (
    <div
      className="jp-qcred-message jp-qcred-message--error"
      role="alert"
      data-testid={`qcred-broken-${provider}`}
      data-file={file ?? ''}
    >
      <p className="jp-qcred-error" data-testid={`qcred-broken-error-${provider}`}>
        {error ?? trans.__('A credentials file cannot be read.')}
      </p>
      {file && (
        <p className="jp-qcred-muted">
          <Value ctx={ctx} value={file} code copy testid={`qcred-broken-file-${provider}`} />
        </p>
      )}
      <div className="jp-qcred-actions">
        <Button
          small
          data-testid={`qcred-broken-retry-${provider}`}
          title={trans.__('Read the file again once you fixed it')}
          onClick={() => exec(ctx, CommandIDs.refresh, { provider })}
        >
          {trans.__('Check again')}
        </Button>
      </div>
    </div>
  );
}

/** What one credential of `provider` is called (the server says; older servers: IBM accounts, QCS profiles). */
function nounOf(status: IStatus, provider: ProviderId): string {
  return status.provider_info?.[provider]?.noun ?? (provider === 'qcs' ? 'profile' : 'account');
}

/**
 * What the folder open in the file browser changes for this provider's SDKs (a `.env` there whose key notebooks use
 * instead of the one shown here), with what to do; and, calmly, the SDK adapters that do not act.
 */
function FolderNotes({
  ctx,
  provider,
  status
}: {
  ctx: IContext;
  provider: ProviderId;
  status: IStatus;
}): React.ReactElement | null {
  const { trans, store } = ctx;
  const shadows = shadowsOf(store.folder, provider);
  const adapters = quietAdapters(status, provider);
  if (!shadows.length && !adapters.length) {
    return null;
  }
  return (
    <>
      {shadows.map((f, i) => (
        <div
          key={`${f.sdk}-${f.mode ?? i}`}
          className="jp-qcred-message jp-qcred-message--warn"
          role="status"
          data-testid={`qcred-shadow-${provider}`}
          data-folder={store.folder?.shown_path ?? ''}
        >
          <p>{trans.__('In %1: %2', store.folder?.shown_path ?? '', f.message)}</p>
          {f.fix && <p className="jp-qcred-muted">{trans.__('What to do: %1', f.fix)}</p>}
        </div>
      ))}
      {adapters.map(a => (
        <p key={a.name} className="jp-qcred-muted jp-qcred-adapter" data-testid={`qcred-adapter-${provider}`}>
          {trans.__('%1 adapter %2: %3', a.sdk, a.state, a.message)}
        </p>
      ))}
    </>
  );
}

/** Values of this provider kept out of files and outputs (issue 24): a calm note, the newest three, and a count. */
function RedactionNotes({
  ctx,
  provider,
  status
}: {
  ctx: IContext;
  provider: ProviderId;
  status: IStatus;
}): React.ReactElement | null {
  const { trans } = ctx;
  const has = !!status.redactions?.[provider]?.length;
  const now = useNow(30000, has);
  if (!has) {
    return null;
  }
  const { notes, more } = redactionNotes(status, provider, now);
  return (
    <div className="jp-qcred-message jp-qcred-message--info" role="note" data-testid={`qcred-redactions-${provider}`}>
      {notes.map(n => (
        <p key={n.key} className="jp-qcred-redaction" data-testid={`qcred-redaction-${provider}`}>
          {n.when ? trans.__('%1 · %2', n.text, n.when) : n.text}
        </p>
      ))}
      {more > 0 && <p className="jp-qcred-muted">{trans._n('and %1 more', 'and %1 more', more)}</p>}
    </div>
  );
}
