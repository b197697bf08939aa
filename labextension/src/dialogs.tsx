/**
 * Dialogs: re-initialize (token / file / QCS login), the QCS device-code login
 * that closes by itself, and the restart confirmation.
 */
import * as React from 'react';
import { Clipboard, Dialog, Notification, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, ReactWidget } from '@jupyterlab/ui-components';
import { errorText, ILogin, isLoginAnswer, ProviderId, ReinitializeBody } from './api';
import { findLogin, MAX_UPLOAD_BYTES, providerForFilename } from './model';
import { QcredStore } from './store';
import { IStatusUpdate } from './stream';

export type ReinitMethod = 'ibm-token' | 'qcs-token' | 'file' | 'qcs-login' | 'hub';

type ReinitValue = { body: ReinitializeBody } | { login: { profile?: string } } | { error: string };

/** Body of the re-initialize dialog. */
class ReinitBody extends ReactWidget implements Dialog.IBodyWidget<ReinitValue> {
  constructor(
    private trans: TranslationBundle,
    private allowHub: boolean,
    method: ReinitMethod
  ) {
    super();
    this.method = method;
    this.addClass('jp-qcred-dialog');
    this.node.dataset.testid = 'qcred-reinit-dialog';
  }

  getValue(): ReinitValue {
    const t = this.trans;
    switch (this.method) {
      case 'hub':
        return { body: { source: 'hub' } };
      case 'ibm-token': {
        const token = this.ibmToken.trim();
        if (!token) {
          return { error: t.__('Paste your IBM Quantum API key (token) first.') };
        }
        const body: ReinitializeBody = { source: 'token', provider: 'ibm', token, channel: this.ibmChannel };
        if (this.ibmInstance.trim()) {
          body.instance = this.ibmInstance.trim();
        }
        if (this.ibmName.trim()) {
          body.name = this.ibmName.trim();
        }
        return { body };
      }
      case 'qcs-token': {
        const rt = this.qcsRefresh.trim();
        if (!rt) {
          return { error: t.__('Paste your Rigetti QCS refresh token first.') };
        }
        const body: ReinitializeBody = { source: 'token', provider: 'qcs', refresh_token: rt };
        if (this.qcsProfile.trim()) {
          body.profile = this.qcsProfile.trim();
        }
        return { body };
      }
      case 'file': {
        if (this.fileError) {
          return { error: this.fileError };
        }
        if (!this.file) {
          return { error: t.__('Choose the credentials file you downloaded first.') };
        }
        return {
          body: {
            source: 'file',
            provider: this.fileProvider,
            filename: this.file.name,
            content: this.file.content
          }
        };
      }
      case 'qcs-login':
        return { login: this.qcsProfile.trim() ? { profile: this.qcsProfile.trim() } : {} };
    }
  }

  protected render(): React.ReactElement {
    const t = this.trans;
    const choices: Array<[ReinitMethod, string]> = [
      ...(this.allowHub ? [['hub', t.__('Fetch again from JupyterHub')] as [ReinitMethod, string]] : []),
      ['ibm-token', t.__('Paste an IBM Quantum API key')],
      ['qcs-token', t.__('Paste a Rigetti QCS refresh token')],
      ['file', t.__('Upload a credentials file')],
      ['qcs-login', t.__('Log in to Rigetti QCS in the browser')]
    ];
    const set = (patch: Partial<ReinitBody>) => {
      Object.assign(this, patch);
      this.update();
    };
    return (
      <div>
        <fieldset className="jp-qcred-fieldset">
          <legend>{t.__('How do you want to provide credentials?')}</legend>
          {choices.map(([value, label]) => (
            <label key={value} className="jp-qcred-radio">
              <input
                type="radio"
                name="qcred-method"
                value={value}
                data-testid={`qcred-method-${value}`}
                checked={this.method === value}
                onChange={() => set({ method: value })}
              />{' '}
              {label}
            </label>
          ))}
        </fieldset>
        {this.method === 'ibm-token' && (
          <div className="jp-qcred-form">
            <label htmlFor="qcred-ibm-token">{t.__('API key / token')}</label>
            <input
              id="qcred-ibm-token"
              className="jp-mod-styled jp-qcred-input"
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={this.ibmToken}
              onChange={e => set({ ibmToken: e.target.value })}
            />
            <label htmlFor="qcred-ibm-channel">{t.__('Channel')}</label>
            <HTMLSelect
              id="qcred-ibm-channel"
              value={this.ibmChannel}
              onChange={e => set({ ibmChannel: e.target.value })}
              options={[
                { value: 'ibm_quantum_platform', label: t.__('IBM Quantum Platform (ibm_quantum_platform)') },
                { value: 'ibm_cloud', label: t.__('IBM Cloud (ibm_cloud)') },
                { value: 'ibm_quantum', label: t.__('Legacy hub/group/project (ibm_quantum)') }
              ]}
            />
            <label htmlFor="qcred-ibm-instance">
              {this.ibmChannel === 'ibm_quantum'
                ? t.__('Hub/group/project (optional)')
                : t.__('Instance CRN or name (optional)')}
            </label>
            <input
              id="qcred-ibm-instance"
              className="jp-mod-styled jp-qcred-input"
              value={this.ibmInstance}
              onChange={e => set({ ibmInstance: e.target.value })}
            />
            <label htmlFor="qcred-ibm-name">{t.__('Account name (optional)')}</label>
            <input
              id="qcred-ibm-name"
              className="jp-mod-styled jp-qcred-input"
              value={this.ibmName}
              onChange={e => set({ ibmName: e.target.value })}
            />
          </div>
        )}
        {this.method === 'qcs-token' && (
          <div className="jp-qcred-form">
            <label htmlFor="qcred-qcs-refresh">{t.__('Refresh token')}</label>
            <input
              id="qcred-qcs-refresh"
              className="jp-mod-styled jp-qcred-input"
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={this.qcsRefresh}
              onChange={e => set({ qcsRefresh: e.target.value })}
            />
            {this.profileField()}
          </div>
        )}
        {this.method === 'file' && (
          <div className="jp-qcred-form">
            <label htmlFor="qcred-file">
              {t.__('Credentials file (qiskit-ibm.json, qiskitrc, secrets.toml or settings.toml)')}
            </label>
            <input
              id="qcred-file"
              data-testid="qcred-file"
              type="file"
              onChange={e => void this.readFile(e.target.files?.[0] ?? null)}
            />
            <label htmlFor="qcred-file-provider">{t.__('Provider')}</label>
            <HTMLSelect
              id="qcred-file-provider"
              value={this.fileProvider}
              onChange={e => set({ fileProvider: e.target.value as ProviderId })}
              options={[
                { value: 'ibm', label: t.__('IBM Quantum') },
                { value: 'qcs', label: t.__('Rigetti QCS') }
              ]}
            />
            {this.file && (
              <p className="jp-qcred-muted" role="status">
                {t.__('Read %1 (%2 bytes).', this.file.name, this.file.content.length)}
              </p>
            )}
            {this.fileError && (
              <p className="jp-qcred-error" role="alert">
                {this.fileError}
              </p>
            )}
          </div>
        )}
        {this.method === 'qcs-login' && (
          <div className="jp-qcred-form">
            <p>
              {t.__(
                'You get a link and a code: open the link, log in to Rigetti QCS and confirm the code. The panel finishes by itself.'
              )}
            </p>
            {this.profileField()}
          </div>
        )}
        {this.method === 'hub' && (
          <p>{t.__('The server asks JupyterHub for your current credentials and writes them again.')}</p>
        )}
        <p className="jp-qcred-muted">
          {t.__('Secrets are sent only to your own Jupyter server, which stores them in files only you can read.')}
        </p>
      </div>
    );
  }

  private profileField(): React.ReactElement {
    const t = this.trans;
    return (
      <>
        <label htmlFor="qcred-qcs-profile">{t.__('Profile (optional, default "default")')}</label>
        <input
          id="qcred-qcs-profile"
          className="jp-mod-styled jp-qcred-input"
          value={this.qcsProfile}
          onChange={e => {
            this.qcsProfile = e.target.value;
            this.update();
          }}
        />
      </>
    );
  }

  private async readFile(f: File | null): Promise<void> {
    this.file = null;
    this.fileError = null;
    if (f) {
      if (f.size > MAX_UPLOAD_BYTES) {
        this.fileError = this.trans.__('%1 is too large for a credentials file; choose the right file.', f.name);
      } else {
        try {
          this.file = { name: f.name, content: await f.text() };
          this.fileProvider = providerForFilename(f.name) ?? this.fileProvider;
        } catch (err) {
          this.fileError = this.trans.__('Could not read %1: %2', f.name, errorText(err));
        }
      }
    }
    this.update();
  }

  method: ReinitMethod;
  ibmToken = '';
  ibmChannel = 'ibm_quantum_platform';
  ibmInstance = '';
  ibmName = '';
  qcsRefresh = '';
  qcsProfile = '';
  file: { name: string; content: string } | null = null;
  fileProvider: ProviderId = 'ibm';
  fileError: string | null = null;
}

/**
 * The re-initialize dialog. Resolves once the server answered (or the user
 * cancelled).
 */
export async function reinitializeDialog(
  store: QcredStore,
  trans: TranslationBundle,
  options: { provider?: ProviderId; method?: ReinitMethod } = {}
): Promise<void> {
  const method: ReinitMethod =
    options.method ?? (options.provider === 'qcs' ? 'qcs-token' : 'ibm-token');
  const body = new ReinitBody(trans, store.canReinitializeFromHub, method);
  const result = await showDialog<ReinitValue>({
    title: trans.__('Add or re-initialize quantum credentials'),
    body,
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.okButton({ label: trans.__('Continue') })],
    focusNodeSelector: 'input:checked'
  });
  if (!result.button.accept || !result.value) {
    return;
  }
  const value = result.value;
  if ('error' in value) {
    await showErrorMessage(trans.__('Nothing was changed'), value.error);
    return;
  }
  if ('login' in value) {
    await loginQcs(store, trans, value.login.profile);
    return;
  }
  try {
    await store.reinitialize(value.body);
    Notification.success(trans.__('Quantum credentials updated.'), { autoClose: 4000 });
  } catch (err) {
    await showErrorMessage(trans.__('Re-initialize failed'), errorText(err));
  }
}

/** Re-initialize from JupyterHub directly (no dialog). */
export async function reinitializeFromHub(store: QcredStore, trans: TranslationBundle): Promise<void> {
  try {
    await store.reinitialize({ source: 'hub' });
    Notification.success(trans.__('Credentials fetched again from JupyterHub.'), { autoClose: 4000 });
  } catch (err) {
    await showErrorMessage(trans.__('Re-initialize failed'), errorText(err));
  }
}

/** Body of the device-code login dialog; follows the login through the status. */
class LoginBody extends ReactWidget {
  constructor(
    private trans: TranslationBundle,
    public login: ILogin
  ) {
    super();
    this.addClass('jp-qcred-dialog');
    this.node.dataset.testid = 'qcred-login-dialog';
  }

  protected render(): React.ReactElement {
    const t = this.trans;
    const l = this.login;
    const link = l.verification_uri_complete ?? l.verification_uri ?? '';
    return (
      <div>
        <ol className="jp-qcred-steps">
          <li>
            {t.__('Open')}{' '}
            <a
              href={link}
              target="_blank"
              rel="noopener noreferrer"
              className="jp-qcred-link"
              data-testid="qcred-login-link"
            >
              {link}
            </a>
          </li>
          <li>
            {t.__('Log in to Rigetti QCS and confirm this code:')}{' '}
            <code className="jp-qcred-code jp-qcred-code--big" data-testid="qcred-login-code">
              {l.user_code}
            </code>{' '}
            <Button
              small
              minimal
              aria-label={t.__('Copy the code')}
              onClick={() => Clipboard.copyToSystem(l.user_code ?? '')}
            >
              {t.__('Copy')}
            </Button>
          </li>
        </ol>
        <p role="status" aria-live="polite" data-testid="qcred-login-state" data-state={l.state}>
          {l.state === 'pending'
            ? t.__('Waiting for you to confirm… this dialog closes by itself.')
            : l.state === 'done'
              ? t.__('Logged in.')
              : l.error ?? (l.state === 'expired' ? t.__('The code expired: start the login again.') : t.__('The login failed: start it again.'))}
        </p>
      </div>
    );
  }
}

/** Start the QCS device-code login and follow it until done/failed/cancelled. */
export async function loginQcs(store: QcredStore, trans: TranslationBundle, profile?: string): Promise<void> {
  let login: ILogin;
  try {
    const answer = await store.reinitialize({ source: 'device', provider: 'qcs', ...(profile ? { profile } : {}) });
    if (!isLoginAnswer(answer)) {
      throw new Error(trans.__('The server did not start a login.'));
    }
    login = answer.login;
  } catch (err) {
    await showErrorMessage(trans.__('Rigetti QCS login could not start'), errorText(err));
    return;
  }
  const body = new LoginBody(trans, login);
  const dialog = new Dialog({
    title: trans.__('Log in to Rigetti QCS'),
    body,
    buttons: [Dialog.cancelButton({ label: trans.__('Close') })]
  });
  let finished = false;
  const onUpdate = (_: unknown, update: IStatusUpdate) => {
    const l = findLogin(update.status, login.id);
    if (!l || finished) {
      return;
    }
    body.login = l;
    body.update();
    if (l.state === 'done') {
      finished = true;
      Notification.success(trans.__('Logged in to Rigetti QCS.'), { autoClose: 4000 });
      dialog.resolve(0);
    }
  };
  store.updated.connect(onUpdate);
  // Device logins are polled by the server; follow them promptly even when
  // the push channel is down.
  const poll = window.setInterval(() => {
    if (store.connection !== 'live') {
      void store.fetchNow();
    }
  }, 3000);
  try {
    await dialog.launch();
  } finally {
    window.clearInterval(poll);
    store.updated.disconnect(onUpdate);
  }
}

/** Confirm, POST restart, then go to the hub's spawn page. */
export async function confirmRestart(store: QcredStore, trans: TranslationBundle): Promise<void> {
  const result = await showDialog({
    title: trans.__('Restart your server?'),
    body: trans.__(
      'JupyterHub stops this server and starts it again, so it picks up fresh credentials. Running kernels stop: save your work first.'
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Restart'), className: 'jp-qcred-confirm-restart' })
    ]
  });
  if (!result.button.accept) {
    return;
  }
  try {
    const answer = await store.restart();
    const url = answer.spawn_url || store.status?.hub?.spawn_url;
    if (url) {
      window.location.href = url;
    }
  } catch (err) {
    await showErrorMessage(trans.__('Restart failed'), errorText(err));
  }
}

