/** Tokens, plugin ids and command ids shared by the plugins. */
import { Token } from '@lumino/coreutils';
import type { QcredStore } from './store';

/** The state of the quantum credentials and the operations on them. */
export const IQcredStore = new Token<QcredStore>(
  'jupyter-qcred:IQcredStore',
  'The state of the quantum credentials (status, connection, settings) and the operations on them.'
);

export namespace PluginIDs {
  /** Also the id of the settings (schema/plugin.json). */
  export const store = 'jupyter-qcred:plugin';
  export const commands = 'jupyter-qcred:commands';
  export const sidebar = 'jupyter-qcred:sidebar';
  export const statusBar = 'jupyter-qcred:status-bar';
  export const notifications = 'jupyter-qcred:notifications';
}

/** Id of the sidebar panel widget (and of its layout restoration). */
export const PANEL_ID = 'jupyter-qcred:panel';

/** Domain of the translations. */
export const TRANSLATION_DOMAIN = 'jupyter_qcred';

/** Command ids, for the panel, the palette and the notifications. */
export namespace CommandIDs {
  export const open = 'qcred:open';
  export const refresh = 'qcred:refresh';
  export const reinitialize = 'qcred:reinitialize';
  export const addCredentials = 'qcred:add-credentials';
  export const uploadCredentials = 'qcred:upload-credentials';
  export const loginQcs = 'qcred:login-qcs';
  export const restart = 'qcred:restart';
  export const setDefault = 'qcred:set-default';
  export const remove = 'qcred:remove';
}
