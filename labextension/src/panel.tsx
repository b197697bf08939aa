/**
 * The left-sidebar panel: one card per provider, one item per account.
 */
import * as React from 'react';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, VDomRenderer } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import type { ICredentialEntry, ILogin, IStatus, ProviderId } from './api';
import { qcredIcon } from './icon';
import {
  accountsOf,
  defaultName,
  entriesOf,
  entryLabel,
  expiryAnnouncement,
  expiryPhase,
  formatCountdown,
  instanceKey,
  isLegacyIbm,
  parseTime,
  PROVIDER_TITLES,
  refreshTokenBadge,
  slug,
  stateBadge
} from './model';
import { QcredStore } from './store';

export const PANEL_ID = 'jupyter-qcred:panel';

/** Command ids (also used by the palette and the notifications). */
export namespace CommandIDs {
  export const open = 'qcred:open';
  export const refresh = 'qcred:refresh';
  export const reinitialize = 'qcred:reinitialize';
  export const addCredentials = 'qcred:add-credentials';
  export const uploadCredentials = 'qcred:upload-credentials';
  export const loginQcs = 'qcred:login-qcs';
  export const restart = 'qcred:restart';
  export const setDefault = 'qcred:set-default';
}

interface IContext {
  store: QcredStore;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

export class QcredPanel extends VDomRenderer<QcredStore> {
  constructor(options: { store: QcredStore; commands: CommandRegistry; trans: TranslationBundle }) {
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
    const ctx: IContext = { store: this.model, commands: this._commands, trans: this._trans };
    return <PanelView ctx={ctx} />;
  }

  private _commands: CommandRegistry;
  private _trans: TranslationBundle;
}

const exec = (ctx: IContext, id: string, args: Record<string, string> = {}) => {
  void ctx.commands.execute(id, args);
};

function PanelView({ ctx }: { ctx: IContext }): React.ReactElement {
  const { store, trans } = ctx;
  const status = store.status;
  const loadError = store.loadError;
  const providers = store.settings.providers;
  let body: React.ReactNode;
  if (!status && !loadError) {
    body = (
      <div className="jp-qcred-message" role="status" data-testid="qcred-loading">
        {trans.__('Loading the state of your quantum credentials…')}
      </div>
    );
  } else if (!status) {
    body = (
      <div className="jp-qcred-message jp-qcred-message--error" role="alert" data-testid="qcred-error">
        <p>{loadError}</p>
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
  } else {
    const configured = providers.some(p => accountsOf(status, p).length > 0);
    body = (
      <>
        {loadError && (
          <div className="jp-qcred-message jp-qcred-message--warn" role="alert" data-testid="qcred-offline">
            {loadError} {trans.__('Showing the last known state; retrying by itself.')}
          </div>
        )}
        {!configured && <EmptyState ctx={ctx} />}
        <Logins ctx={ctx} logins={(status.logins ?? []).filter(l => l.state === 'pending')} />
        {providers.map(p => (
          <ProviderCard key={p} ctx={ctx} provider={p} status={status} />
        ))}
      </>
    );
  }
  return (
    <div className="jp-qcred-root">
      <header className="jp-qcred-header">
        <h2 className="jp-qcred-title">{trans.__('Quantum credentials')}</h2>
        <HubLine ctx={ctx} status={status} />
      </header>
      <Toolbar ctx={ctx} status={status} />
      <div className="jp-qcred-body">{body}</div>
    </div>
  );
}

function HubLine({ ctx, status }: { ctx: IContext; status: IStatus | null }): React.ReactElement | null {
  const { trans, store } = ctx;
  const hub = status?.hub;
  const conn = store.connection;
  const connText =
    conn === 'live'
      ? trans.__('live updates')
      : conn === 'polling'
        ? trans.__('updates every few seconds')
        : conn === 'offline'
          ? trans.__('server unreachable')
          : '';
  return (
    <div className="jp-qcred-subtitle" data-testid="qcred-connection" data-connection={conn}>
      {hub?.available && hub.user ? trans.__('JupyterHub user %1', hub.user) : null}
      {hub?.available && hub.user && connText ? ' · ' : null}
      {connText}
    </div>
  );
}

function Toolbar({ ctx, status }: { ctx: IContext; status: IStatus | null }): React.ReactElement {
  const { store, trans } = ctx;
  const busy = store.busy;
  const fromHub = store.canReinitializeFromHub;
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
        title={
          fromHub
            ? trans.__('Fetch fresh credentials from JupyterHub and write them again')
            : trans.__('Paste a token, upload a credentials file or log in')
        }
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
          title={trans.__('Paste a token, upload a credentials file or log in')}
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

function EmptyState({ ctx }: { ctx: IContext }): React.ReactElement {
  const { trans, store } = ctx;
  const fromHub = store.canReinitializeFromHub;
  return (
    <div className="jp-qcred-message" data-testid="qcred-empty">
      <p>
        <strong>{trans.__('No quantum credentials yet.')}</strong>
      </p>
      <p>
        {fromHub
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

function Logins({ ctx, logins }: { ctx: IContext; logins: ILogin[] }): React.ReactElement | null {
  const { trans } = ctx;
  if (!logins.length) {
    return null;
  }
  return (
    <div className="jp-qcred-message jp-qcred-message--info">
      {logins.map(l => (
        <p key={l.id} data-testid={`qcred-login-${slug(l.id)}`}>
          {trans.__('Rigetti QCS login waiting for you: open ')}
          <a
            href={l.verification_uri_complete ?? l.verification_uri ?? '#'}
            target="_blank"
            rel="noopener noreferrer"
            className="jp-qcred-link"
          >
            {l.verification_uri ?? l.verification_uri_complete}
          </a>{' '}
          {trans.__('and confirm the code')} <code className="jp-qcred-code">{l.user_code}</code>
        </p>
      ))}
    </div>
  );
}

function ProviderCard({
  ctx,
  provider,
  status
}: {
  ctx: IContext;
  provider: ProviderId;
  status: IStatus;
}): React.ReactElement {
  const { trans } = ctx;
  const title = trans.__(PROVIDER_TITLES[provider]);
  const accounts = accountsOf(status, provider);
  const absent = entriesOf(status, provider).find(e => e.state === 'absent');
  const headingId = `qcred-card-${provider}-title`;
  return (
    <section className="jp-qcred-card" data-testid={`qcred-card-${provider}`} aria-labelledby={headingId}>
      <h3 className="jp-qcred-card-title" id={headingId}>
        {title}
      </h3>
      {accounts.length === 0 ? (
        <div className="jp-qcred-card-empty" data-testid={`qcred-empty-${provider}`}>
          <p>{absent?.error ?? trans.__('No %1 credential is configured.', title)}</p>
          <Button
            small
            data-testid={`qcred-setup-${provider}`}
            aria-label={trans.__('Set up %1', title)}
            onClick={() =>
              exec(ctx, provider === 'qcs' ? CommandIDs.loginQcs : CommandIDs.addCredentials, {
                provider
              })
            }
          >
            {provider === 'qcs' ? trans.__('Log in…') : trans.__('Set up…')}
          </Button>
        </div>
      ) : (
        <>
          <DefaultPicker ctx={ctx} provider={provider} status={status} accounts={accounts} />
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

function DefaultPicker({
  ctx,
  provider,
  status,
  accounts
}: {
  ctx: IContext;
  provider: ProviderId;
  status: IStatus;
  accounts: ICredentialEntry[];
}): React.ReactElement | null {
  const { trans, store } = ctx;
  if (accounts.length < 2) {
    return null;
  }
  const current = defaultName(status, provider) ?? '';
  const id = `qcred-default-${provider}`;
  return (
    <div className="jp-qcred-field">
      <label htmlFor={id}>{provider === 'qcs' ? trans.__('Default profile') : trans.__('Default account')}</label>
      <HTMLSelect
        id={id}
        data-testid={id}
        value={current}
        disabled={store.busy.has('default')}
        onChange={ev => exec(ctx, CommandIDs.setDefault, { provider, name: ev.target.value })}
        options={[
          ...(current ? [] : [{ value: '', label: trans.__('(none)') }]),
          ...accounts.map(a => ({ value: a.name as string, label: a.name as string }))
        ]}
      />
    </div>
  );
}

function AccountItem({ ctx, entry }: { ctx: IContext; entry: ICredentialEntry }): React.ReactElement {
  const { trans, store } = ctx;
  const p = entry.provider;
  const n = slug(entry.name);
  const badge = stateBadge(entry.state);
  const name = entry.name ?? '';
  const acc = entry.account ?? {};
  const needsAction = entry.state === 'needs_reinit' || entry.state === 'expired';
  return (
    <article
      className={`jp-qcred-account jp-qcred-account--${entry.state}`}
      data-testid={`qcred-account-${p}-${n}`}
      aria-label={trans.__('%1: %2', entryLabel(entry), badge.text)}
    >
      <div className="jp-qcred-account-head">
        <span className="jp-qcred-account-name">{name}</span>
        {entry.default && (
          <span className="jp-qcred-tag" data-testid={`qcred-default-mark-${p}-${n}`}>
            {trans.__('default')}
          </span>
        )}
        <span
          className={`jp-qcred-badge ${badge.className}`}
          data-testid={`qcred-state-${p}-${n}`}
          data-state={entry.state}
          title={trans.__(badge.description)}
        >
          {trans.__(badge.text)}
        </span>
      </div>
      <dl className="jp-qcred-details">
        {p === 'ibm' && (
          <>
            <dt>{trans.__('Channel')}</dt>
            <dd data-testid={`qcred-channel-${p}-${n}`}>{acc.channel ?? trans.__('unknown')}</dd>
            {!isLegacyIbm(entry) && acc.instance && (
              <>
                <dt>{trans.__('Instance')}</dt>
                <dd className="jp-qcred-break" title={acc.instance}>
                  {acc.instance}
                </dd>
              </>
            )}
          </>
        )}
        {p === 'qcs' && (
          <>
            {acc.user?.email && (
              <>
                <dt>{trans.__('User')}</dt>
                <dd data-testid={`qcred-email-${p}-${n}`}>{acc.user.email}</dd>
              </>
            )}
            <dt>{trans.__('Groups')}</dt>
            <dd data-testid={`qcred-groups-${p}-${n}`}>
              {acc.groups && acc.groups.length
                ? acc.groups.map(g => g.name).join(', ')
                : trans.__('none')}
            </dd>
            <dt>{trans.__('Refresh token')}</dt>
            <dd>
              <RefreshTokenBadge ctx={ctx} state={acc.refresh_token_state} testid={`qcred-rt-${p}-${n}`} />
            </dd>
            {acc.credential_kind && acc.credential_kind !== 'token_payload' && (
              <>
                <dt>{trans.__('Kind')}</dt>
                <dd>{acc.credential_kind.replace(/_/g, ' ')}</dd>
              </>
            )}
          </>
        )}
        <dt>{trans.__('Access token')}</dt>
        <dd>
          <Countdown
            ctx={ctx}
            expiresAt={entry.expires_at}
            label={entryLabel(entry)}
            testid={`qcred-countdown-${p}-${n}`}
          />
        </dd>
        {(entry.token_hint || entry.source) && (
          <>
            <dt>{trans.__('Source')}</dt>
            <dd className="jp-qcred-muted" title={entry.file ?? undefined}>
              {[entry.source, entry.token_hint].filter(Boolean).join(' · ')}
            </dd>
          </>
        )}
      </dl>
      {isLegacyIbm(entry) && <InstancePicker ctx={ctx} entry={entry} />}
      {entry.error && (
        <p className="jp-qcred-error" data-testid={`qcred-error-${p}-${n}`}>
          {entry.error}
        </p>
      )}
      <div className="jp-qcred-actions">
        {needsAction && (
          <Button
            small
            data-testid={`qcred-reinit-${p}-${n}`}
            aria-label={trans.__('Re-initialize %1', entryLabel(entry))}
            onClick={() => exec(ctx, CommandIDs.reinitialize, { provider: p })}
          >
            {trans.__('Re-initialize')}
          </Button>
        )}
        <Button
          small
          minimal={!(entry.state === 'error')}
          data-testid={`qcred-refresh-${p}-${n}`}
          aria-label={trans.__('Refresh %1', entryLabel(entry))}
          disabled={store.busy.has('refresh')}
          onClick={() => exec(ctx, CommandIDs.refresh, { provider: p, name })}
        >
          {entry.state === 'error' ? trans.__('Retry') : trans.__('Refresh')}
        </Button>
      </div>
    </article>
  );
}

function RefreshTokenBadge({
  ctx,
  state,
  testid
}: {
  ctx: IContext;
  state: string | null | undefined;
  testid: string;
}): React.ReactElement {
  const b = refreshTokenBadge(state);
  return (
    <span
      className={`jp-qcred-badge ${b.className}`}
      data-testid={testid}
      data-state={state ?? ''}
      title={ctx.trans.__(b.description)}
    >
      {ctx.trans.__(b.text)}
    </span>
  );
}

function InstancePicker({ ctx, entry }: { ctx: IContext; entry: ICredentialEntry }): React.ReactElement | null {
  const { trans, store } = ctx;
  const instances = entry.account?.instances ?? [];
  if (!instances.length) {
    return null;
  }
  const n = slug(entry.name);
  const current =
    entry.account?.default_instance ??
    (instances.find(i => i.default) ? instanceKey(instances.find(i => i.default)!) : '');
  const id = `qcred-instance-ibm-${n}`;
  return (
    <div className="jp-qcred-instances">
      <ul aria-label={trans.__('Hub/group/project of %1', entry.name ?? '')} data-testid={`qcred-instances-ibm-${n}`}>
        {instances.map(i => {
          const k = instanceKey(i);
          return (
            <li key={k}>
              <code>{k}</code>
              {k === current && <span className="jp-qcred-tag">{trans.__('default')}</span>}
            </li>
          );
        })}
      </ul>
      {instances.length > 1 && (
        <div className="jp-qcred-field">
          <label htmlFor={id}>{trans.__('Default hub/group/project')}</label>
          <HTMLSelect
            id={id}
            data-testid={id}
            value={current}
            disabled={store.busy.has('default')}
            onChange={ev =>
              exec(ctx, CommandIDs.setDefault, {
                provider: 'ibm',
                name: entry.name ?? '',
                instance: ev.target.value
              })
            }
            options={[
              ...(current ? [] : [{ value: '', label: trans.__('(none)') }]),
              ...instances.map(i => instanceKey(i))
            ]}
          />
        </div>
      )}
    </div>
  );
}

/**
 * A live countdown, ticking each second without any server round-trip. The
 * ticking text is not a live region; a visually hidden `role="status"` region
 * beside it announces only phase changes (valid -> expires soon -> expired).
 */
function Countdown({
  ctx,
  expiresAt,
  label,
  testid
}: {
  ctx: IContext;
  expiresAt: string | null;
  label: string;
  testid: string;
}): React.ReactElement {
  const { trans, store } = ctx;
  const exp = parseTime(expiresAt);
  const [now, setNow] = React.useState(() => Date.now());
  React.useEffect(() => {
    if (exp === null) {
      return undefined;
    }
    const h = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(h);
  }, [exp]);
  const phase = expiryPhase(exp, now, store.settings.warningMinutes);
  const text = exp === null ? trans.__('expiry unknown') : formatCountdown(exp - now);
  return (
    <span className="jp-qcred-countdown-wrap">
      {exp !== null && exp - now >= 0 && <span className="jp-qcred-muted">{trans.__('expires in')} </span>}
      <time
        className={`jp-qcred-countdown jp-qcred-countdown--${phase}`}
        data-testid={testid}
        data-phase={phase}
        dateTime={expiresAt ?? undefined}
        title={exp !== null ? new Date(exp).toLocaleString() : undefined}
      >
        {text}
      </time>
      <span className="jp-qcred-sr-only" role="status" aria-live="polite" data-testid={`${testid}-live`}>
        {trans.__(expiryAnnouncement(phase, label))}
      </span>
    </span>
  );
}

