/**
 * jupyter-qcred: the JupyterLab side of jupyter_qcred.
 */
import { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { commandsPlugin } from './plugins/commands';
import { notificationsPlugin } from './plugins/notifications';
import { sidebarPlugin } from './plugins/sidebar';
import { statusBarPlugin } from './plugins/statusbar';
import { storePlugin } from './plugins/store';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  storePlugin,
  commandsPlugin,
  sidebarPlugin,
  statusBarPlugin,
  notificationsPlugin
];

export default plugins;
