import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification, showErrorMessage } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { errorMessage } from '../client';
import { qcredIcon } from '../components/icon';
import { loginQcs } from '../dialogs/login';
import { reinitializeDialog, reinitializeFromHub } from '../dialogs/reinitialize';
import { confirmRemove } from '../dialogs/remove';
import { confirmRestart } from '../dialogs/restart';
import { showResult } from '../feedback';
import { answeredFromEarlier, calmFailure, notTriedMessage } from '../model/notes';
import { defaultName, providerTitle } from '../model/status';
import { QcredStore } from '../store';
import { CommandIDs, IQcredStore, PANEL_ID, PluginIDs, TRANSLATION_DOMAIN } from '../tokens';
import type { DefaultBody, IRefreshBody, ProviderId } from '../types';

const CATEGORY = 'Quantum Credentials';

const PALETTE = [
  CommandIDs.open,
  CommandIDs.refresh,
  CommandIDs.reinitialize,
  CommandIDs.addCredentials,
  CommandIDs.uploadCredentials,
  CommandIDs.loginQcs,
  CommandIDs.restart
];

const asProvider = (v: unknown): ProviderId | undefined => (typeof v === 'string' && v ? v : undefined);

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

function refreshBody(args: ReadonlyPartialJSONObject): IRefreshBody {
  const provider = asProvider(args.provider);
  if (!provider) {
    return {};
  }
  return args.name ? { provider, name: text(args.name) } : { provider };
}

function defaultBody(args: ReadonlyPartialJSONObject): DefaultBody | null {
  const provider = asProvider(args.provider);
  const name = text(args.name);
  if (!provider || !name) {
    return null;
  }
  if (provider === 'qcs') {
    return { provider, name };
  }
  return args.instance ? { provider, name, instance: text(args.instance) } : { provider, name };
}

async function refresh(store: QcredStore, trans: TranslationBundle, args: ReadonlyPartialJSONObject): Promise<void> {
  try {
    const started = Date.now();
    const answer = await store.refresh(refreshBody(args));
    const notTried = answeredFromEarlier(answer, Date.now() - started) ? notTriedMessage(answer) : undefined;
    const calm = calmFailure(answer, Date.now());
    showResult(answer, { refusalsNotified: store.settings.notifications, notTried, calm });
  } catch (err) {
    Notification.error(trans.__('Refresh failed: %1', errorMessage(err)), { autoClose: 8000 });
  }
}

async function setDefault(store: QcredStore, trans: TranslationBundle, body: DefaultBody): Promise<void> {
  try {
    const answer = await store.setDefault(body);
    showResult(answer, { quietSuccess: true });
    const now = defaultName(answer, body.provider);
    if (now !== body.name) {
      Notification.warning(
        trans.__(
          'The server kept %1 as the default %2 account; %3 was not made the default.',
          now ?? '-',
          body.provider,
          body.name
        ),
        { autoClose: 8000 }
      );
    }
  } catch (err) {
    await showErrorMessage(trans.__('Could not change the default'), errorMessage(err));
  }
}

function addCommands(
  commands: CommandRegistry,
  shell: JupyterFrontEnd.IShell,
  store: QcredStore,
  trans: TranslationBundle
): void {
  commands.addCommand(CommandIDs.open, {
    label: trans.__('Open Quantum Credentials'),
    caption: trans.__('Show the Quantum credentials panel'),
    icon: qcredIcon,
    execute: () => shell.activateById(PANEL_ID)
  });
  commands.addCommand(CommandIDs.refresh, {
    label: args =>
      args.name ? trans.__('Refresh Quantum Credential %1', text(args.name)) : trans.__('Refresh Quantum Credentials'),
    caption: trans.__('Renew the quantum access tokens now'),
    icon: refreshIcon,
    execute: args => refresh(store, trans, args)
  });
  commands.addCommand(CommandIDs.reinitialize, {
    label: args =>
      args.name
        ? trans.__('Re-initialize %1…', text(args.name))
        : trans.__('Re-initialize Quantum Credentials'),
    caption: trans.__('From JupyterHub when possible, otherwise paste a token, upload a file or log in'),
    execute: args =>
      store.canReinitializeFromHub && !args.dialog && !args.name
        ? reinitializeFromHub(store, trans)
        : reinitializeDialog(store, trans, {
            provider: asProvider(args.provider),
            ...(args.name ? { name: text(args.name) } : {})
          })
  });
  commands.addCommand(CommandIDs.remove, {
    label: args => (args.name ? trans.__('Remove %1…', text(args.name)) : trans.__('Remove Quantum Credential…')),
    caption: trans.__('Delete an account or profile from the SDK files'),
    execute: args => {
      const provider = asProvider(args.provider);
      return provider && args.name ? confirmRemove(store, trans, { provider, name: text(args.name) }) : undefined;
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
    label: args => trans.__('Log in to %1…', providerTitle(store.status, asProvider(args.provider) ?? 'qcs')),
    caption: trans.__('Browser login (device code) for Rigetti QCS'),
    execute: args =>
      loginQcs(store, trans, args.profile ? text(args.profile) : undefined, asProvider(args.provider) ?? 'qcs')
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
      const body = defaultBody(args);
      return body ? setDefault(store, trans, body) : undefined;
    }
  });
  store.stateChanged.connect(() => commands.notifyCommandChanged(CommandIDs.restart));
}

/** The commands every view uses, and their palette entries. */
export const commandsPlugin: JupyterFrontEndPlugin<void> = {
  id: PluginIDs.commands,
  description: 'Commands of the quantum credentials: open, refresh, re-initialize, log in, restart, set default.',
  autoStart: true,
  requires: [IQcredStore],
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    store: QcredStore,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    addCommands(app.commands, app.shell, store, trans);
    for (const command of PALETTE) {
      palette?.addItem({ command, category: trans.__(CATEGORY) });
    }
  }
};
