import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { QcredPanel } from '../components/Panel';
import { FolderWatch } from '../model/folder';
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
    void app.restored.then(() => watchFileBrowser(app, store));
  }
};

/** The parts of JupyterLab's default file browser used here (found by its id, so no package is required). */
interface IBrowserLike {
  model: { path: string; pathChanged: { connect(slot: () => void): unknown } };
}

function isBrowserLike(widget: unknown): widget is IBrowserLike {
  const model = (widget as { model?: { path?: unknown; pathChanged?: { connect?: unknown } } } | null)?.model;
  return typeof model?.path === 'string' && typeof model.pathChanged?.connect === 'function';
}

/**
 * Follow the folder open in the default file browser: the doctor checks it (debounced) and the cards warn when a
 * file there (IonQ's `.env`) gives notebooks another credential than the one shown. Asked again when a shown
 * credential changes (a new key, a key removed).
 */
function watchFileBrowser(app: JupyterFrontEnd, store: QcredStore): void {
  const browser = Array.from(app.shell.widgets('left')).find(w => w.id === 'filebrowser');
  if (!isBrowserLike(browser)) {
    return;
  }
  const watch = new FolderWatch(
    path => store.client.doctor(path),
    answer => {
      store.folder = answer;
    }
  );
  const model = browser.model;
  model.pathChanged.connect(() => watch.set(model.path));
  let shown = '';
  store.updated.connect((_, status) => {
    const now = status.providers.map(e => `${e.provider}/${e.name}/${e.token_hint ?? ''}/${e.default}`).join('|');
    if (shown && now !== shown) {
      watch.recheck();
    }
    shown = now;
  });
  watch.set(model.path);
}
