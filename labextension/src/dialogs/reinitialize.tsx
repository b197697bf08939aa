/**
 * The re-initialize dialog: from JupyterHub, a pasted token, an uploaded file or the QCS login. Whatever the server
 * answers that the user can act on stays inside the dialog (empty fields, the provider's refusal, a name that exists,
 * a file that is not a credentials file, the new hosts a file sends tokens to): the form stays open with what was
 * typed, and nothing was saved.
 */
import { Dialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { errorMessage, existsConflict, hostsConflict, isStatus } from '../client';
import { showResult } from '../feedback';
import {
  fileChoices,
  keyChoices,
  makeDefaultInitially,
  methodOrder,
  methodProvider,
  prefill as prefillOf,
  suggestedMethod
} from '../model/reinit';
import { entryLabel } from '../model/status';
import { MAX_UPLOAD_BYTES, providerForFilename } from '../model/upload';
import { QcredStore } from '../store';
import type { ICredentialEntry, IUploadOptions, IWriteOptions, Outcome, ProviderId, ReinitializeBody } from '../types';
import {
  ConflictFields,
  InView,
  EMPTY_FORM,
  FileFields,
  HostsFields,
  IbmTokenFields,
  IConflict,
  IFormProps,
  IHostsQuestion,
  IReinitForm,
  KeyFields,
  MakeDefaultField,
  ProviderChoices,
  QcsLoginFields,
  QcsTokenFields,
  ReinitMethod
} from './forms';
import { loginQcs } from './login';
import { SubmitDialog } from './submit';

type ReinitValue = { body: ReinitializeBody } | { login: { profile?: string } } | { error: string };

/** `{key: value}` for a value that is not blank, else nothing. */
const optional = <K extends string>(key: K, value: string): Partial<Record<K, string>> =>
  value.trim() ? ({ [key]: value.trim() } as Record<K, string>) : {};

/** What the last attempt answered, shown above the buttons. */
interface IMessage {
  kind: 'invalid' | Outcome | 'error';
  text: string;
}

class ReinitBody extends ReactWidget implements Dialog.IBodyWidget<ReinitValue> {
  constructor(
    private trans: TranslationBundle,
    private store: QcredStore,
    allowHub: boolean,
    method: ReinitMethod,
    initial: Partial<IReinitForm>,
    /** The account or profile this dialog re-initializes (its card's): writing it again replaces it. */
    private target: ICredentialEntry | null,
    private keyChoices: ProviderChoices,
    private fileChoices: ProviderChoices
  ) {
    super();
    const valid = (choices: ProviderChoices, wanted: ProviderId | undefined): ProviderId =>
      choices.find(([key]) => key === wanted)?.[0] ?? choices[0]?.[0] ?? '';
    this.form = { ...EMPTY_FORM, ...initial, method };
    this.form.keyProvider = valid(keyChoices, initial.keyProvider);
    this.form.fileProvider = valid(fileChoices, initial.fileProvider ?? EMPTY_FORM.fileProvider);
    this.order = methodOrder(method, allowHub, keyChoices.length > 0);
    this.addClass('jp-qcred-dialog');
    this.node.dataset.testid = 'qcred-reinit-dialog';
  }

  form: IReinitForm;
  message: IMessage | null = null;
  conflict: IConflict | null = null;
  /** The hosts the chosen file sends tokens to, once the server named them (reset when another file is chosen). */
  hosts: IHostsQuestion | null = null;
  busy = false;

  /** Where the chosen method writes, and whether it becomes the default. */
  get provider(): ProviderId | null {
    return methodProvider(this.form.method, this.form.fileProvider, this.form.keyProvider);
  }

  get makeDefault(): boolean {
    return this.form.makeDefault ?? makeDefaultInitially(this.store.status, this.provider);
  }

  getValue(): ReinitValue {
    const t = this.trans;
    const f = this.form;
    if (this.conflict && this.conflict.choice === null) {
      return { error: t.__("Choose first: replace '%1', or save under a new name.", this.conflict.name) };
    }
    switch (f.method) {
      case 'hub':
        return { body: { source: 'hub' } };
      case 'ibm-token': {
        if (!f.ibmToken.trim()) {
          return { error: t.__('Paste your IBM Quantum API key (token) first.') };
        }
        const name = this._name(f.ibmName);
        if (name === null) {
          return { error: t.__('Type the new name first.') };
        }
        return {
          body: {
            source: 'token',
            provider: 'ibm',
            token: f.ibmToken.trim(),
            channel: f.ibmChannel,
            ...optional('instance', f.ibmInstance),
            ...optional('name', name),
            ...this._writeOptions(name)
          }
        };
      }
      case 'qcs-token': {
        if (!f.qcsRefresh.trim()) {
          return { error: t.__('Paste your Rigetti QCS refresh token first.') };
        }
        const profile = this._name(f.qcsProfile);
        if (profile === null) {
          return { error: t.__('Type the new name first.') };
        }
        return {
          body: {
            source: 'token',
            provider: 'qcs',
            refresh_token: f.qcsRefresh.trim(),
            ...optional('profile', profile),
            ...this._writeOptions(profile)
          }
        };
      }
      case 'key': {
        if (!f.keyToken.trim() || !f.keyProvider) {
          return { error: t.__('Paste the API key first.') };
        }
        const same = this.target?.provider === f.keyProvider ? this.target.name : null;
        const body = { source: 'token' as const, provider: f.keyProvider, token: f.keyToken.trim() };
        return { body: { ...body, ...this._writeOptions(same) } };
      }
      case 'file':
        if (f.fileError || !f.file) {
          return { error: f.fileError ?? t.__('Choose the credentials file you downloaded first.') };
        }
        if (this.hosts && !this.hosts.trusted) {
          const hosts = this.hosts.hosts.join(', ');
          return { error: t.__('Choose "Send my tokens to %1" to continue, or Cancel.', hosts) };
        }
        return {
          body: {
            source: 'file',
            provider: f.fileProvider,
            filename: f.file.name,
            content: f.file.content,
            ...this._uploadOptions()
          }
        };
      case 'qcs-login':
        return { login: optional('profile', f.qcsProfile) };
    }
  }

  tell(message: IMessage | null, conflict: IConflict | null = this.conflict): void {
    this.message = message;
    this.conflict = conflict;
    this.update();
  }

  /** What a save replaces, for its toast ("Replaced IBM Quantum default."): null when it replaces nothing. */
  get replaced(): string | null {
    const c = this.conflict;
    if (c?.choice === 'replace') {
      return entryLabel({ provider: c.provider, name: c.name });
    }
    const value = this.getValue();
    const body = 'body' in value ? (value.body as { replace?: boolean }) : null;
    return body?.replace && this.target ? entryLabel({ provider: this.target.provider, name: this.target.name }) : null;
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.update();
  }

  protected render(): React.ReactElement {
    const t = this.trans;
    const keyTitles = this.keyChoices.map(([, title]) => title).join(', ');
    const labels: Record<ReinitMethod, string> = {
      hub: t.__('Fetch again from JupyterHub'),
      'ibm-token': t.__('Paste an IBM Quantum API key'),
      'qcs-token': t.__('Paste a Rigetti QCS refresh token'),
      key: t.__('Paste an API key or token (%1)', keyTitles),
      file: t.__('Upload a credentials file'),
      'qcs-login': t.__('Log in to Rigetti QCS in the browser')
    };
    const props: IFormProps = { trans: t, form: this.form, set: patch => this._set(patch) };
    const method = this.form.method;
    const provider = this.provider;
    // Only IBM and QCS keep several credentials to choose a default among (the others keep one, always used).
    const writes = method === 'ibm-token' || method === 'qcs-token' || method === 'file';
    const choosesDefault = writes && (provider === 'ibm' || provider === 'qcs');
    return (
      <div>
        {this.target && (
          <p data-testid="qcred-reinit-target">
            {t.__('Re-initialize %1.', entryLabel({ provider: this.target.provider, name: this.target.name }))}
          </p>
        )}
        {this.conflict && (
          // First in the dialog: the question to answer now, visible without scrolling (720 px high windows).
          <InView watch={this.conflict.name}>
            <ConflictFields
              trans={t}
              conflict={this.conflict}
              canRename={method !== 'file' && method !== 'key'}
              set={patch => this._setConflict(patch)}
            />
          </InView>
        )}
        <fieldset className="jp-qcred-fieldset">
          <legend>{t.__('How do you want to provide credentials?')}</legend>
          {this.order.map((value, i) => (
            <label key={value} className="jp-qcred-radio">
              <input
                type="radio"
                name="qcred-method"
                value={value}
                data-testid={`qcred-method-${value}`}
                checked={method === value}
                onChange={() => this._set({ method: value })}
              />{' '}
              {labels[value]}
              {i === 0 && this.target && <span className="jp-qcred-muted"> {t.__('(suggested)')}</span>}
            </label>
          ))}
        </fieldset>
        {method === 'ibm-token' && <IbmTokenFields {...props} />}
        {method === 'qcs-token' && <QcsTokenFields {...props} />}
        {method === 'key' && <KeyFields {...props} choices={this.keyChoices} />}
        {method === 'file' && (
          <FileFields {...props} choices={this.fileChoices} onFile={file => void this._readFile(file)} />
        )}
        {method === 'qcs-login' && <QcsLoginFields {...props} />}
        {method === 'hub' && (
          <p>{t.__('The server asks JupyterHub for your current credentials and writes them again.')}</p>
        )}
        {choosesDefault && provider && (
          <MakeDefaultField
            trans={t}
            provider={provider}
            checked={this.makeDefault}
            onChange={makeDefault => this._set({ makeDefault })}
          />
        )}
        {this.hosts && method === 'file' && (
          <HostsFields trans={t} question={this.hosts} set={trusted => this._setHosts(trusted)} />
        )}
        {this.message && (
          <InView watch={this.message}>
            <p
              className={this.message.kind === 'invalid' ? 'jp-qcred-warn' : 'jp-qcred-error'}
              role="alert"
              data-testid="qcred-reinit-message"
              data-kind={this.message.kind}
            >
              {this.message.text}
            </p>
          </InView>
        )}
        {this.busy && (
          <p className="jp-qcred-muted" role="status" data-testid="qcred-reinit-busy">
            {t.__('Checking with the provider…')}
          </p>
        )}
        <p className="jp-qcred-muted">
          {t.__('Secrets are sent only to your own Jupyter server, which stores them in files only you can read.')}
        </p>
      </div>
    );
  }

  /** The name to write under: the conflict's new name when the user chose one; null when that is still empty. */
  private _name(typed: string): string | null {
    const c = this.conflict;
    if (c?.choice === 'rename') {
      return c.newName.trim() || null;
    }
    return c?.choice === 'replace' ? c.name : typed;
  }

  private _writeOptions(name: string | null): IWriteOptions {
    const replace =
      this.conflict?.choice === 'replace' ||
      (this.target !== null && name !== null && name.trim() === (this.target.name ?? ''));
    return { replace, make_default: this.makeDefault };
  }

  /** An upload's options: the user's explicit choice about the hosts the file names, once the server asked. */
  private _uploadOptions(): IUploadOptions {
    return { ...this._writeOptions(null), ...(this.hosts?.trusted ? { trust_hosts: true } : {}) };
  }

  /** Ask about the hosts the file sends tokens to (unticked: the user chooses). */
  askHosts(question: IHostsQuestion): void {
    this.hosts = question;
    this.tell(null);
  }

  private _setHosts(trusted: boolean): void {
    if (this.hosts) {
      this.hosts = { ...this.hosts, trusted };
      this.tell(null);
    }
  }

  private _set(patch: Partial<IReinitForm>): void {
    const names = ['ibmName', 'qcsProfile', 'method', 'file', 'keyProvider'].some(key => key in patch);
    if (['file', 'fileProvider', 'method'].some(key => key in patch)) {
      this.hosts = null; // the question was about the file sent
    }
    this.form = { ...this.form, ...patch };
    // A new answer is needed once what was sent changed; a conflict is about the name (and file) sent.
    this.tell(null, names ? null : this.conflict);
  }

  private _setConflict(patch: Partial<IConflict>): void {
    if (this.conflict) {
      this.tell(null, { ...this.conflict, ...patch });
    }
  }

  private async _readFile(f: File | null): Promise<void> {
    if (!f) {
      this._set({ file: null, fileError: null });
    } else if (f.size > MAX_UPLOAD_BYTES) {
      const fileError = this.trans.__('%1 is too large for a credentials file; choose the right file.', f.name);
      this._set({ file: null, fileError });
    } else {
      try {
        const content = await f.text();
        const guess = providerForFilename(f.name);
        const offered = this.fileChoices.some(([key]) => key === guess);
        const fileProvider = guess && offered ? guess : this.form.fileProvider;
        this._set({ file: { name: f.name, content }, fileProvider, fileError: null });
      } catch (err) {
        this._set({ file: null, fileError: this.trans.__('Could not read %1: %2', f.name, errorMessage(err)) });
      }
    }
  }

  private order: ReinitMethod[];
}

export interface IReinitOptions {
  provider?: ProviderId;
  /** The account or profile of the card (or notification) the dialog was opened from. */
  name?: string;
  method?: ReinitMethod;
}

/** The re-initialize dialog. Resolves once the server saved what was entered (or the user cancelled). */
export async function reinitializeDialog(
  store: QcredStore,
  trans: TranslationBundle,
  options: IReinitOptions = {}
): Promise<void> {
  const entry =
    options.name !== undefined
      ? ((store.status?.providers ?? []).find(e => e.provider === options.provider && e.name === options.name) ?? null)
      : null;
  const allowHub = store.canReinitializeFromHub;
  const keys = keyChoices(store.status);
  const method =
    options.method ??
    suggestedMethod(
      entry,
      options.provider,
      allowHub,
      keys.map(([key]) => key)
    );
  const initial = { ...prefillOf(entry), ...(entry ? {} : { keyProvider: options.provider }) };
  const body = new ReinitBody(trans, store, allowHub, method, initial, entry, keys, fileChoices(store.status));
  const dialog = new SubmitDialog<ReinitValue>(
    {
      title: entry
        ? trans.__('Re-initialize %1', entryLabel({ provider: entry.provider, name: entry.name }))
        : trans.__('Add or re-initialize quantum credentials'),
      body,
      buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.okButton({ label: trans.__('Continue') })],
      focusNodeSelector: 'input:checked'
    },
    () => submit(store, trans, body)
  );
  const result = await dialog.launch();
  dialog.dispose();
  const value = result.button.accept ? result.value : null;
  if (value && 'login' in value) {
    await loginQcs(store, trans, value.login.profile);
  }
}

/** Send the form; true when the dialog may close (saved, or a login to start). */
async function submit(store: QcredStore, trans: TranslationBundle, body: ReinitBody): Promise<boolean> {
  const value = body.getValue();
  if ('error' in value) {
    body.tell({ kind: 'invalid', text: value.error });
    return false;
  }
  if ('login' in value) {
    return true;
  }
  body.setBusy(true);
  try {
    const answer = await store.reinitialize(value.body);
    const result = isStatus(answer) ? answer.result : null;
    if (result && result.outcome !== 'ok') {
      // Refused or the provider is down: nothing was saved; the sentence says why and what to do.
      body.tell({ kind: result.outcome, text: result.message }, null);
      return false;
    }
    if (isStatus(answer)) {
      const replaced = body.replaced;
      // Say what the save replaced, not only "Checked and saved.".
      const said =
        replaced && answer.result
          ? {
              ...answer.result,
              message: trans.__('Replaced %1 with what you entered. %2', replaced, answer.result.message)
            }
          : answer.result;
      showResult({ ...answer, result: said }, { fallback: trans.__('Quantum credentials updated.') });
    }
    return true;
  } catch (err) {
    const exists = existsConflict(err);
    const hosts = hostsConflict(err);
    if (exists) {
      body.tell(null, { ...exists, choice: null, newName: '' });
    } else if (hosts) {
      // Nothing was written or sent: show the hosts and let the user choose, explicitly, to send tokens there.
      body.askHosts({ provider: hosts.provider, hosts: hosts.hosts, message: hosts.message, trusted: false });
    } else {
      body.tell({ kind: 'error', text: errorMessage(err) });
    }
    return false;
  } finally {
    body.setBusy(false);
  }
}

/** Re-initialize from JupyterHub directly (no dialog). */
export async function reinitializeFromHub(store: QcredStore, trans: TranslationBundle): Promise<void> {
  try {
    const answer = await store.reinitialize({ source: 'hub' });
    if (isStatus(answer)) {
      showResult(answer, { fallback: trans.__('Credentials fetched again from JupyterHub.') });
    }
  } catch (err) {
    await showErrorMessage(trans.__('Re-initialize failed'), errorMessage(err));
  }
}
