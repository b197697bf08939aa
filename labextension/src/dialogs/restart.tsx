/**
 * Restart under JupyterHub: confirm, ask this server to have the hub stop it, wait (asking the hub) until the stop
 * finished, then open the spawn page, which brings the browser back to this JupyterLab with the panel open.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { errorMessage, isUnreachable } from '../client';
import {
  HubServerState,
  IRestartTarget,
  RESTART_FLAG,
  restartTarget,
  serverState,
  spawnUrlWithNext,
  STOP_DEADLINE_MS,
  waitForStop,
  xsrfFromHubPage
} from '../model/restart';
import { QcredStore } from '../store';
import type { IRestartAnswer } from '../types';

type Phase = 'asking' | 'stopping' | 'starting' | 'failed';

/** The progress of a restart, in a dialog that stays open until the browser leaves (or the restart failed). */
class RestartProgress extends ReactWidget {
  constructor(private trans: TranslationBundle) {
    super();
    this.addClass('jp-qcred-dialog');
    this.node.dataset.testid = 'qcred-restart-progress';
  }

  phase: Phase = 'asking';
  error = '';
  hubHome = '';

  set(phase: Phase, error = ''): void {
    this.phase = phase;
    this.error = error;
    this.node.dataset.phase = phase;
    this.update();
  }

  protected render(): React.ReactElement {
    const t = this.trans;
    const text: Record<Phase, string> = {
      asking: t.__('Asking JupyterHub to stop your server…'),
      stopping: t.__('Restarting your server… JupyterHub is stopping it; this page then starts it again.'),
      starting: t.__('Your server stopped. Starting it again…'),
      failed: t.__('Your server was not restarted.')
    };
    return (
      <div>
        <p role="status" aria-live="polite" data-testid="qcred-restart-phase">
          {text[this.phase]}
        </p>
        {this.phase === 'failed' && (
          <>
            <p className="jp-qcred-error" role="alert" data-testid="qcred-restart-error">
              {this.error}
            </p>
            {this.hubHome && (
              <p>
                <a href={this.hubHome} className="jp-qcred-link">
                  {t.__("Open the hub's home page")}
                </a>
              </p>
            )}
          </>
        )}
      </div>
    );
  }
}

/** Asks the hub about the user's server with the browser's own hub login (as the hub's home page does). */
class HubWatcher {
  constructor(private target: IRestartTarget) {}

  async state(): Promise<HubServerState> {
    let response = await this._get();
    if (response.status === 403) {
      this._xsrf = null; // an old token (the hub login changed): take a fresh one, once
      response = await this._get();
    }
    if (!response.ok) {
      throw new Error(`JupyterHub answered ${response.status} ${response.statusText}`.trim());
    }
    const state = serverState(await response.json(), this.target.serverName);
    if (state === null) {
      throw new Error('JupyterHub does not show this server to your browser');
    }
    return state;
  }

  private async _get(): Promise<Response> {
    const { hubUrl, user } = this.target;
    if (this._xsrf === null) {
      // The hub checks XSRF on every cookie-authenticated API request; its pages hand the token to their scripts.
      const page = await fetch(`${hubUrl}home`, { credentials: 'same-origin' });
      this._xsrf = xsrfFromHubPage(await page.text()) ?? '';
    }
    return fetch(`${hubUrl}api/users/${encodeURIComponent(user)}`, {
      credentials: 'same-origin',
      headers: this._xsrf ? { 'X-XSRFToken': this._xsrf, Accept: 'application/json' } : { Accept: 'application/json' },
      cache: 'no-store'
    });
  }

  private _xsrf: string | null = null;
}

/** Confirm, then restart; resolves when the restart failed (else the browser has left this page). */
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
  const body = new RestartProgress(trans);
  const dialog = new Dialog({
    title: trans.__('Restarting your server'),
    body,
    buttons: [Dialog.cancelButton({ label: trans.__('Close') })]
  });
  void dialog.launch();
  await restart(store, trans, body);
}

async function restart(store: QcredStore, trans: TranslationBundle, body: RestartProgress): Promise<void> {
  let answer: IRestartAnswer | null = null;
  try {
    answer = await store.restart();
  } catch (err) {
    if (!isUnreachable(err)) {
      body.set('failed', errorMessage(err));
      return;
    }
    // This server went away before its answer arrived: the stop has begun. The hub knows the rest.
  }
  const target = restartTarget(answer, store.status?.hub, PageConfig.getOption('hubPrefix'));
  if (!target) {
    body.set('failed', trans.__('This server does not know its JupyterHub: restart it from the hub control panel.'));
    return;
  }
  body.hubHome = `${target.hubUrl}home`;
  body.set('stopping');
  const watcher = new HubWatcher(target);
  const waited = await waitForStop({
    state: () => watcher.state(),
    refusal: () => store.status?.hub?.restart_error
  });
  switch (waited.kind) {
    case 'unreachable':
      body.set(
        'failed',
        trans.__(
          "Could not ask JupyterHub whether your server stopped (%1). Open the hub's home page to start it.",
          errorMessage(waited.error)
        )
      );
      return;
    case 'refused':
      body.set('failed', waited.message);
      return;
    case 'timeout':
      body.set(
        'failed',
        trans.__(
          "JupyterHub has not finished stopping your server after %1 seconds. Open the hub's home page to stop or start it.",
          STOP_DEADLINE_MS / 1000
        )
      );
      return;
  }
  body.set('starting');
  window.sessionStorage.setItem(RESTART_FLAG, String(Date.now()));
  window.location.assign(spawnUrlWithNext(target.spawnUrl, window.location.pathname));
}
