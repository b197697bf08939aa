/** Remove an account or profile, after the user confirmed it. */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { errorMessage } from '../client';
import { showResult } from '../feedback';
import { entryLabel } from '../model/status';
import { QcredStore } from '../store';
import type { IRemoveBody } from '../types';

export async function confirmRemove(store: QcredStore, trans: TranslationBundle, body: IRemoveBody): Promise<void> {
  const entry = (store.status?.providers ?? []).find(e => e.provider === body.provider && e.name === body.name);
  const label = entryLabel(body);
  const where = entry?.file
    ? trans.__("It is deleted from %1; the file's other accounts stay.", entry.file)
    : trans.__('It is deleted from the SDK files; other accounts stay.');
  const result = await showDialog({
    title: trans.__('Remove %1?', label),
    body: `${where} ${trans.__('The SDKs can no longer use it until you add it again.')}`,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Remove'), className: 'jp-qcred-confirm-remove' })
    ]
  });
  if (!result.button.accept) {
    return;
  }
  try {
    showResult(await store.remove(body), { fallback: trans.__('%1 was removed.', label) });
  } catch (err) {
    await showErrorMessage(trans.__('Could not remove %1', label), errorMessage(err));
  }
}
