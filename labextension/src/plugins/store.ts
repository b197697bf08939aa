import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { QcredClient } from '../client';
import { normalizeSettings } from '../model/settings';
import { QcredStore } from '../store';
import { IQcredStore, PluginIDs } from '../tokens';

/** The shared state, its live connection to the server, and the user's settings. */
export const storePlugin: JupyterFrontEndPlugin<QcredStore> = {
  id: PluginIDs.store,
  description: 'The state of the quantum credentials, kept live from the jupyter_qcred server extension.',
  autoStart: true,
  provides: IQcredStore,
  optional: [ISettingRegistry],
  activate: (app: JupyterFrontEnd, settingRegistry: ISettingRegistry | null): QcredStore => {
    const store = new QcredStore({ client: new QcredClient(app.serviceManager.serverSettings) });
    if (settingRegistry) {
      settingRegistry
        .load(PluginIDs.store)
        .then(settings => {
          const apply = (): void => {
            store.settings = normalizeSettings(settings.composite as Record<string, unknown>);
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => console.error('jupyter-qcred: could not load settings.', reason));
    }
    void app.restored.then(() => store.start());
    return store;
  }
};
