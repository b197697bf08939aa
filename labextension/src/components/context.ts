import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { QcredStore } from '../store';

/** What every component of the panel needs. */
export interface IContext {
  store: QcredStore;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

/** Run a command from a click (its errors are shown by the command itself). */
export function exec(ctx: IContext, id: string, args: ReadonlyPartialJSONObject = {}): void {
  void ctx.commands.execute(id, args);
}
