import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { QcredPanel } from '../components/Panel';
import { QcredStore } from '../store';
import { IQcredStore, PANEL_ID, PluginIDs, TRANSLATION_DOMAIN } from '../tokens';

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
  }
};
