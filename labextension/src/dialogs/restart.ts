import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { errorMessage } from '../client';
import { QcredStore } from '../store';

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
    await showErrorMessage(trans.__('Restart failed'), errorMessage(err));
  }
}
