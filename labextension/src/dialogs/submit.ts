/** A dialog whose accept button sends the form and closes only once the server took it. */
import { Dialog } from '@jupyterlab/apputils';

/** Index of the accept button: the dialogs built with this class list `[cancel, accept]`. */
export const ACCEPT = 1;

/**
 * `Dialog` closes on any button (and on Enter). Here the accept button (and Enter, the default button) runs
 * `submit` instead, and the dialog closes only when it answers true; meanwhile the body shows what went wrong,
 * with everything the user typed still there. Cancel and Escape close as usual.
 */
export class SubmitDialog<T> extends Dialog<T> {
  constructor(
    options: Partial<Dialog.IOptions<T>>,
    private submit: () => Promise<boolean>
  ) {
    super(options);
  }

  resolve(index?: number): void {
    if ((index ?? ACCEPT) !== ACCEPT) {
      super.resolve(index);
    } else if (!this._submitting) {
      this._submitting = true;
      void this.submit()
        .then(done => done && super.resolve(ACCEPT))
        .finally(() => (this._submitting = false));
    }
  }

  private _submitting = false;
}
