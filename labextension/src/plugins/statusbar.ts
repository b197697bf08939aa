import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { QcredStatusItem } from '../components/StatusItem';
import { QcredStore } from '../store';
import { CommandIDs, IQcredStore, PluginIDs, TRANSLATION_DOMAIN } from '../tokens';

/** "Quantum: OK" / "expiring" / "action needed" in the status bar; a click opens the panel. */
export const statusBarPlugin: JupyterFrontEndPlugin<void> = {
  id: PluginIDs.statusBar,
  description: 'One-glance health of the quantum credentials in the status bar.',
  autoStart: true,
  requires: [IQcredStore],
  optional: [IStatusBar, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    store: QcredStore,
    statusBar: IStatusBar | null,
    translator: ITranslator | null
  ): void => {
    if (!statusBar) {
      return;
    }
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const item = new QcredStatusItem({ store, trans, onClick: () => void app.commands.execute(CommandIDs.open) });
    statusBar.registerStatusItem(PluginIDs.statusBar, { item, align: 'left', rank: 900 });
  }
};
