/**
 * jupyter-qcred: the JupyterLab side of jupyter_qcred.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification, showErrorMessage } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import { errorText, ProviderId, QcredClient } from './api';
import { confirmRestart, loginQcs, reinitializeDialog, reinitializeFromHub } from './dialogs';
import { qcredIcon } from './icon';
import { defaultName, normalizeSettings } from './model';
import { QcredNotifier } from './notifications';
import { CommandIDs, PANEL_ID, QcredPanel } from './panel';
import { QcredStatusItem } from './statusbar';
import { QcredStore } from './store';

const PLUGIN_ID = 'jupyter-qcred:plugin';
const CATEGORY = 'Quantum Credentials';

const asProvider = (v: unknown): ProviderId | undefined =>
  v === 'ibm' || v === 'qcs' ? v : undefined;

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Quantum credentials (IBM Quantum, Rigetti QCS): sidebar panel, status bar item, notifications.',
  autoStart: true,
  optional: [ISettingRegistry, ICommandPalette, IStatusBar, ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    statusBar: IStatusBar | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_qcred');
    const { commands, shell } = app;
    const store = new QcredStore({ client: new QcredClient(app.serviceManager.serverSettings) });

    const panel = new QcredPanel({ store, commands, trans });
    shell.add(panel, 'left', { rank: 900 });
    if (restorer) {
      restorer.add(panel, PANEL_ID);
    }

    const fail = (title: string) => (err: unknown) => showErrorMessage(title, errorText(err));

    commands.addCommand(CommandIDs.open, {
      label: trans.__('Open Quantum Credentials'),
      caption: trans.__('Show the Quantum credentials panel'),
      icon: qcredIcon,
      execute: () => shell.activateById(panel.id)
    });
    commands.addCommand(CommandIDs.refresh, {
      label: args =>
        args.name ? trans.__('Refresh Quantum Credential %1', String(args.name)) : trans.__('Refresh Quantum Credentials'),
      caption: trans.__('Renew the quantum access tokens now'),
      icon: refreshIcon,
      execute: args => {
        const provider = asProvider(args.provider);
        const body = provider ? (args.name ? { provider, name: String(args.name) } : { provider }) : {};
        return store.refresh(body).catch(fail(trans.__('Refresh failed')));
      }
    });
    commands.addCommand(CommandIDs.reinitialize, {
      label: trans.__('Re-initialize Quantum Credentials'),
      caption: trans.__('From JupyterHub when possible, otherwise paste a token, upload a file or log in'),
      execute: args => {
        if (store.canReinitializeFromHub && !args.dialog) {
          return reinitializeFromHub(store, trans);
        }
        return reinitializeDialog(store, trans, { provider: asProvider(args.provider) });
      }
    });
    commands.addCommand(CommandIDs.addCredentials, {
      label: trans.__('Add Quantum Credentials…'),
      caption: trans.__('Paste an IBM Quantum API key or a QCS refresh token, upload a file or log in'),
      execute: args => reinitializeDialog(store, trans, { provider: asProvider(args.provider) })
    });
    commands.addCommand(CommandIDs.uploadCredentials, {
      label: trans.__('Upload Quantum Credentials File…'),
      execute: () => reinitializeDialog(store, trans, { method: 'file' })
    });
    commands.addCommand(CommandIDs.loginQcs, {
      label: trans.__('Log in to Rigetti QCS…'),
      caption: trans.__('Browser login (device code) for Rigetti QCS'),
      execute: args => loginQcs(store, trans, args.profile ? String(args.profile) : undefined)
    });
    commands.addCommand(CommandIDs.restart, {
      label: trans.__('Restart Server for Quantum Credentials…'),
      caption: trans.__('Stop this server and start it again through JupyterHub'),
      isEnabled: () => store.canRestart,
      execute: () => confirmRestart(store, trans)
    });
    commands.addCommand(CommandIDs.setDefault, {
      label: trans.__('Set Default Quantum Account'),
      execute: args => {
        const name = String(args.name ?? '');
        const provider = asProvider(args.provider);
        if (!provider || !name) {
          return;
        }
        const body =
          provider === 'ibm'
            ? { provider, name, ...(args.instance ? { instance: String(args.instance) } : {}) }
            : { provider, name };
        return store
          .setDefault(body)
          .then(st => {
            const now = defaultName(st, provider);
            if (now !== name) {
              Notification.warning(
                trans.__('The server kept %1 as the default %2 account; %3 was not made the default.', now ?? '-', provider, name),
                { autoClose: 8000 }
              );
            }
          })
          .catch(fail(trans.__('Could not change the default')));
      }
    });
    store.stateChanged.connect(() => commands.notifyCommandChanged(CommandIDs.restart));

    if (palette) {
      for (const command of [
        CommandIDs.open,
        CommandIDs.refresh,
        CommandIDs.reinitialize,
        CommandIDs.addCredentials,
        CommandIDs.uploadCredentials,
        CommandIDs.loginQcs,
        CommandIDs.restart
      ]) {
        palette.addItem({ command, category: trans.__(CATEGORY) });
      }
    }

    if (statusBar) {
      const item = new QcredStatusItem({ store, trans, onClick: () => void commands.execute(CommandIDs.open) });
      statusBar.registerStatusItem(PLUGIN_ID, { item, align: 'left', rank: 900 });
    }

    new QcredNotifier(store, commands, trans);

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = () => {
            store.settings = normalizeSettings(settings.composite as Record<string, unknown>);
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => console.error('jupyter-qcred: could not load settings.', reason));
    }

    void app.restored.then(() => store.start());
  }
};

export default plugin;
