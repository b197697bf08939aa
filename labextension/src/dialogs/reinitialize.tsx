/** The re-initialize dialog: from JupyterHub, a pasted token, an uploaded file or the QCS login. */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { errorMessage, isStatus } from '../client';
import { showResult } from '../feedback';
import { MAX_UPLOAD_BYTES, providerForFilename } from '../model/upload';
import { QcredStore } from '../store';
import type { ProviderId, ReinitializeBody } from '../types';
import {
  FileFields,
  IbmTokenFields,
  IFormProps,
  IReinitForm,
  KeyFields,
  ProviderChoices,
  QcsLoginFields,
  QcsTokenFields,
  ReinitMethod
} from './forms';
import { loginQcs } from './login';

type ReinitValue = { body: ReinitializeBody } | { login: { profile?: string } } | { error: string };

const EMPTY_FORM: IReinitForm = {
  method: 'ibm-token',
  ibmToken: '',
  ibmChannel: 'ibm_quantum_platform',
  ibmInstance: '',
  ibmName: '',
  qcsRefresh: '',
  qcsProfile: '',
  keyToken: '',
  keyProvider: '',
  file: null,
  fileProvider: 'ibm',
  fileError: null
};

/** `{key: value}` for a value that is not blank, else nothing. */
const optional = <K extends string>(key: K, value: string): Partial<Record<K, string>> =>
  value.trim() ? ({ [key]: value.trim() } as Record<K, string>) : {};

class ReinitBody extends ReactWidget implements Dialog.IBodyWidget<ReinitValue> {
  constructor(
    private trans: TranslationBundle,
    private allowHub: boolean,
    method: ReinitMethod,
    private keyChoices: ProviderChoices,
    private fileChoices: ProviderChoices,
    keyProvider: ProviderId
  ) {
    super();
    this.form = { ...EMPTY_FORM, method, keyProvider };
    this.addClass('jp-qcred-dialog');
    this.node.dataset.testid = 'qcred-reinit-dialog';
  }

  getValue(): ReinitValue {
    const t = this.trans;
    const f = this.form;
    switch (f.method) {
      case 'hub':
        return { body: { source: 'hub' } };
      case 'ibm-token':
        if (!f.ibmToken.trim()) {
          return { error: t.__('Paste your IBM Quantum API key (token) first.') };
        }
        return {
          body: {
            source: 'token',
            provider: 'ibm',
            token: f.ibmToken.trim(),
            channel: f.ibmChannel,
            ...optional('instance', f.ibmInstance),
            ...optional('name', f.ibmName)
          }
        };
      case 'qcs-token':
        if (!f.qcsRefresh.trim()) {
          return { error: t.__('Paste your Rigetti QCS refresh token first.') };
        }
        return {
          body: {
            source: 'token',
            provider: 'qcs',
            refresh_token: f.qcsRefresh.trim(),
            ...optional('profile', f.qcsProfile)
          }
        };
      case 'key':
        if (!f.keyToken.trim() || !f.keyProvider) {
          return { error: t.__('Paste the API key first.') };
        }
        return { body: { source: 'token', provider: f.keyProvider, token: f.keyToken.trim() } };
      case 'file':
        if (f.fileError || !f.file) {
          return { error: f.fileError ?? t.__('Choose the credentials file you downloaded first.') };
        }
        return { body: { source: 'file', provider: f.fileProvider, filename: f.file.name, content: f.file.content } };
      case 'qcs-login':
        return { login: optional('profile', f.qcsProfile) };
    }
  }

  protected render(): React.ReactElement {
    const t = this.trans;
    const choices: Array<[ReinitMethod, string]> = [
      ['ibm-token', t.__('Paste an IBM Quantum API key')],
      ['qcs-token', t.__('Paste a Rigetti QCS refresh token')],
      ...(this.keyChoices.length ? [this._keyChoice()] : []),
      ['file', t.__('Upload a credentials file')],
      ['qcs-login', t.__('Log in to Rigetti QCS in the browser')]
    ];
    if (this.allowHub) {
      choices.unshift(['hub', t.__('Fetch again from JupyterHub')]);
    }
    const props: IFormProps = { trans: t, form: this.form, set: patch => this._set(patch) };
    const method = this.form.method;
    return (
      <div>
        <fieldset className="jp-qcred-fieldset">
          <legend>{t.__('How do you want to provide credentials?')}</legend>
          {choices.map(([value, label]) => (
            <label key={value} className="jp-qcred-radio">
              <input
                type="radio"
                name="qcred-method"
                value={value}
                data-testid={`qcred-method-${value}`}
                checked={method === value}
                onChange={() => this._set({ method: value })}
              />{' '}
              {label}
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
        <p className="jp-qcred-muted">
          {t.__('Secrets are sent only to your own Jupyter server, which stores them in files only you can read.')}
        </p>
      </div>
    );
  }

  private _keyChoice(): [ReinitMethod, string] {
    const titles = this.keyChoices.map(([, title]) => title).join(', ');
    return ['key', this.trans.__('Paste an API key (%1)', titles)];
  }

  private _set(patch: Partial<IReinitForm>): void {
    this.form = { ...this.form, ...patch };
    this.update();
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
        const fileProvider = providerForFilename(f.name) ?? this.form.fileProvider;
        this._set({ file: { name: f.name, content }, fileProvider, fileError: null });
      } catch (err) {
        this._set({ file: null, fileError: this.trans.__('Could not read %1: %2', f.name, errorMessage(err)) });
      }
    }
  }

  form: IReinitForm;
}

/** The re-initialize dialog. Resolves once the server answered (or the user cancelled). */
export async function reinitializeDialog(
  store: QcredStore,
  trans: TranslationBundle,
  options: { provider?: ProviderId; method?: ReinitMethod } = {}
): Promise<void> {
  const info = store.status?.provider_info ?? {};
  const offering = (way: string): ProviderChoices =>
    Object.entries(info)
      .filter(([, i]) => i.methods.includes(way))
      .map(([key, i]) => [key, i.title]);
  const keyChoices = offering('token').filter(([key]) => key !== 'ibm' && key !== 'qcs');
  const fileChoices = offering('upload');
  const wanted = options.provider;
  const method =
    options.method ??
    (wanted === 'qcs'
      ? 'qcs-token'
      : wanted && keyChoices.some(([key]) => key === wanted)
        ? 'key'
        : wanted && wanted !== 'ibm'
          ? store.canReinitializeFromHub
            ? 'hub'
            : 'file'
          : 'ibm-token');
  const keyProvider = keyChoices.find(([key]) => key === wanted)?.[0] ?? keyChoices[0]?.[0] ?? '';
  const result = await showDialog<ReinitValue>({
    title: trans.__('Add or re-initialize quantum credentials'),
    body: new ReinitBody(
      trans,
      store.canReinitializeFromHub,
      method,
      keyChoices,
      fileChoices.length ? fileChoices : [['ibm', 'IBM Quantum'], ['qcs', 'Rigetti QCS']],
      keyProvider
    ),
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.okButton({ label: trans.__('Continue') })],
    focusNodeSelector: 'input:checked'
  });
  const value = result.button.accept ? result.value : null;
  if (!value) {
    return;
  }
  if ('error' in value) {
    await showErrorMessage(trans.__('Nothing was changed'), value.error);
  } else if ('login' in value) {
    await loginQcs(store, trans, value.login.profile);
  } else {
    await reinitialize(store, trans, value.body, trans.__('Quantum credentials updated.'));
  }
}

/** Re-initialize from JupyterHub directly (no dialog). */
export function reinitializeFromHub(store: QcredStore, trans: TranslationBundle): Promise<void> {
  return reinitialize(store, trans, { source: 'hub' }, trans.__('Credentials fetched again from JupyterHub.'));
}

async function reinitialize(
  store: QcredStore,
  trans: TranslationBundle,
  body: ReinitializeBody,
  fallback: string
): Promise<void> {
  try {
    const answer = await store.reinitialize(body);
    if (isStatus(answer)) {
      showResult(answer, { fallback });
    }
  } catch (err) {
    await showErrorMessage(trans.__('Re-initialize failed'), errorMessage(err));
  }
}
