import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { QcredPanel } from '../components/Panel';
import { isRecentRestart, RESTART_FLAG } from '../model/restart';
import { QcredStore } from '../store';
import { IQcredStore, PANEL_ID, PluginIDs, TRANSLATION_DOMAIN } from '../tokens';

/** After a restart this tab started (dialogs/restart.tsx), open the panel once the layout is restored. */
function landAfterRestart(app: JupyterFrontEnd, trans: TranslationBundle): void {
  let flag: string | null = null;
  try {
    flag = window.sessionStorage.getItem(RESTART_FLAG);
    window.sessionStorage.removeItem(RESTART_FLAG);
  } catch {
    return; // storage disabled: nothing to land from
  }
  if (!isRecentRestart(flag)) {
    return;
  }
  void app.restored.then(() => {
    app.shell.activateById(PANEL_ID);
    Notification.success(trans.__('Your server restarted: here are your quantum credentials.'), { autoClose: 5000 });
  });
}

/** The left-sidebar panel: one card per provider, one item per account. */
export const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: PluginIDs.sidebar,
  description: 'The Quantum credentials panel in the left sidebar.',
  autoStart: true,
  requires: [IQcredStore],
  optional: [ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    store: QcredStore,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const panel = new QcredPanel({ store, commands: app.commands, trans });
    app.shell.add(panel, 'left', { rank: 900 });
    restorer?.add(panel, PANEL_ID);
    landAfterRestart(app, trans);
  }
};
