import { Dialog } from '@jupyterlab/apputils';

const ACCEPT = 1;

/**
 * A dialog whose Continue sends the form and closes only once the server saved it: `submitForm` answers true when
 * the dialog may close; otherwise the form stays open with what was typed (and says why inside itself).
 */
export class SubmittingDialog<T> extends Dialog<T> {
  constructor(
    options: Partial<Dialog.IOptions<T>>,
    private submitForm: () => Promise<boolean>
  ) {
    super(options);
  }

  resolve(index?: number): void {
    if ((index ?? ACCEPT) !== ACCEPT) {
      super.resolve(index);
    } else if (!this._submitting) {
      this._submitting = true;
      void this.submitForm()
        .then(done => done && super.resolve(ACCEPT))
        .finally(() => (this._submitting = false));
    }
  }

  private _submitting = false;
}
