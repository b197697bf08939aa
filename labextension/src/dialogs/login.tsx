/** A device-code login (Rigetti QCS, Quantinuum Nexus): a link and a code, and a dialog that closes by itself. */
import { Clipboard, Dialog, Notification, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget } from '@jupyterlab/ui-components';
import { Poll } from '@lumino/polling';
import * as React from 'react';
import { errorMessage, isLoginAnswer } from '../client';
import { LoginLink } from '../components/Logins';
import { safeLink } from '../model/links';
import { findLogin, providerTitle } from '../model/status';
import { QcredStore } from '../store';
import type { ILogin, IStatus } from '../types';

/** How often a pending login is followed while the push channel is down. */
const FOLLOW_INTERVAL = 3000;

function loginStateText(trans: TranslationBundle, l: ILogin): string {
  switch (l.state) {
    case 'pending':
      return trans.__('Waiting for you to confirm… this dialog closes by itself.');
    case 'done':
      return trans.__('Logged in.');
    case 'expired':
      return l.error ?? trans.__('The code expired: start the login again.');
    default:
      return l.error ?? trans.__('The login failed: start it again.');
  }
}

class LoginBody extends ReactWidget {
  constructor(
    private trans: TranslationBundle,
    public login: ILogin,
    private cloud: string
  ) {
    super();
    this.addClass('jp-qcred-dialog');
    this.node.dataset.testid = 'qcred-login-dialog';
  }

  protected render(): React.ReactElement {
    const t = this.trans;
    const l = this.login;
    const link = safeLink(l.verification_uri_complete, l.verification_uri) ?? '';
    return (
      <div>
        <ol className="jp-qcred-steps">
          <li>
            {t.__('Open')}{' '}
            <LoginLink url={link} testid="qcred-login-link" />
          </li>
          <li>
            {t.__('Log in to %1 and confirm this code:', this.cloud)}{' '}
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
          {loginStateText(t, l)}
        </p>
      </div>
    );
  }
}

async function startLogin(
  store: QcredStore,
  trans: TranslationBundle,
  provider: string,
  title: string,
  profile?: string
): Promise<ILogin | null> {
  try {
    const answer = await store.reinitialize({ source: 'device', provider, ...(profile ? { profile } : {}) });
    if (isLoginAnswer(answer)) {
      return answer.login;
    }
    throw new Error(trans.__('The server did not start a login.'));
  } catch (err) {
    await showErrorMessage(trans.__('%1 login could not start', title), errorMessage(err));
    return null;
  }
}

/** Start a device-code login (QCS by default) and follow it until done, failed or closed. */
export async function loginQcs(
  store: QcredStore,
  trans: TranslationBundle,
  profile?: string,
  provider = 'qcs'
): Promise<void> {
  const title = providerTitle(store.status, provider);
  const login = await startLogin(store, trans, provider, title, profile);
  if (!login) {
    return;
  }
  const body = new LoginBody(trans, login, title);
  const dialog = new Dialog({
    title: trans.__('Log in to %1', title),
    body,
    buttons: [Dialog.cancelButton({ label: trans.__('Close') })]
  });
  let finished = false;
  const onUpdate = (_: QcredStore, status: IStatus): void => {
    const l = findLogin(status, login.id);
    if (!l || finished) {
      return;
    }
    body.login = l;
    body.update();
    if (l.state === 'done') {
      finished = true;
      Notification.success(trans.__('Logged in to %1.', title), { autoClose: 4000 });
      dialog.resolve(0);
    }
  };
  store.updated.connect(onUpdate);
  // The server polls the login; follow it promptly even when the push channel is down.
  const follow = new Poll({
    name: 'jupyter-qcred:login',
    factory: () => store.fetchNow(),
    frequency: { interval: FOLLOW_INTERVAL, backoff: false },
    standby: () => store.connection === 'live' || 'when-hidden'
  });
  try {
    await dialog.launch();
  } finally {
    follow.dispose();
    store.updated.disconnect(onUpdate);
  }
}
