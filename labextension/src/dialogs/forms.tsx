/** The fields of each way to provide credentials in the re-initialize dialog. */
import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { ProviderChoices, ReinitMethod } from '../model/reinit';
import type { ProviderId } from '../types';

export type { ProviderChoices, ReinitMethod };

/** A name the server already has: replace it, or save under another name. */
export interface IConflict {
  provider: ProviderId;
  name: string;
  message: string;
  /** Nothing preselected (null) until the user chooses: replacing a credential is never the default. */
  choice: 'replace' | 'rename' | null;
  newName: string;
}

/** Hosts an uploaded file sends tokens to: the user must choose, explicitly, to send them there. */
export interface IHostsQuestion {
  provider: ProviderId;
  hosts: string[];
  message: string;
  /** Never preselected: false until the user ticks "Send my tokens to HOST". */
  trusted: boolean;
}

/** What the user entered so far. */
export interface IReinitForm {
  method: ReinitMethod;
  ibmToken: string;
  ibmChannel: string;
  ibmInstance: string;
  ibmName: string;
  qcsRefresh: string;
  qcsProfile: string;
  /** An API key for one of the other providers that take one (IonQ). */
  keyToken: string;
  keyProvider: ProviderId;
  file: { name: string; content: string } | null;
  fileProvider: ProviderId;
  fileError: string | null;
  /** "Make it the default": null until the user touches it (then the dialog's suggestion applies). */
  makeDefault: boolean | null;
}

/** The form before the user typed anything (the dialog adds its suggestion and the card's fields). */
export const EMPTY_FORM: IReinitForm = {
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
  fileError: null,
  makeDefault: null
};

export interface IFormProps {
  trans: TranslationBundle;
  form: IReinitForm;
  set: (patch: Partial<IReinitForm>) => void;
}

type TextField = 'ibmToken' | 'ibmInstance' | 'ibmName' | 'qcsRefresh' | 'qcsProfile' | 'keyToken';

/** A labelled text input bound to one field; secrets are password inputs, never echoed. */
function Field({
  form,
  set,
  field,
  id,
  label,
  secret = false
}: Omit<IFormProps, 'trans'> & { field: TextField; id: string; label: string; secret?: boolean }): React.ReactElement {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="jp-mod-styled jp-qcred-input"
        type={secret ? 'password' : 'text'}
        autoComplete="off"
        spellCheck={false}
        value={form[field]}
        onChange={e => set({ [field]: e.target.value })}
      />
    </>
  );
}

export function IbmTokenFields({ trans, form, set }: IFormProps): React.ReactElement {
  return (
    <div className="jp-qcred-form">
      <Field form={form} set={set} field="ibmToken" id="qcred-ibm-token" label={trans.__('API key / token')} secret />
      <label htmlFor="qcred-ibm-channel">{trans.__('Channel')}</label>
      <HTMLSelect
        id="qcred-ibm-channel"
        value={form.ibmChannel}
        onChange={e => set({ ibmChannel: e.target.value })}
        options={[
          { value: 'ibm_quantum_platform', label: trans.__('IBM Quantum Platform (ibm_quantum_platform)') },
          { value: 'ibm_cloud', label: trans.__('IBM Cloud (ibm_cloud)') },
          { value: 'ibm_quantum', label: trans.__('Legacy hub/group/project (ibm_quantum)') }
        ]}
      />
      <Field
        form={form}
        set={set}
        field="ibmInstance"
        id="qcred-ibm-instance"
        label={
          form.ibmChannel === 'ibm_quantum'
            ? trans.__('Hub/group/project (optional)')
            : trans.__('Instance CRN or name (optional)')
        }
      />
      <Field form={form} set={set} field="ibmName" id="qcred-ibm-name" label={trans.__('Account name (optional)')} />
    </div>
  );
}

function ProfileField({ trans, form, set }: IFormProps): React.ReactElement {
  const label = trans.__('Profile (optional, default "default")');
  return <Field form={form} set={set} field="qcsProfile" id="qcred-qcs-profile" label={label} />;
}

export function QcsTokenFields(props: IFormProps): React.ReactElement {
  const { trans, form, set } = props;
  return (
    <div className="jp-qcred-form">
      <Field form={form} set={set} field="qcsRefresh" id="qcred-qcs-refresh" label={trans.__('Refresh token')} secret />
      <ProfileField {...props} />
    </div>
  );
}

/** An API key for any other provider that takes a pasted key (the server lists them in `provider_info`). */
export function KeyFields({ trans, form, set, choices }: IFormProps & { choices: ProviderChoices }): React.ReactElement {
  return (
    <div className="jp-qcred-form">
      <label htmlFor="qcred-key-provider">{trans.__('Provider')}</label>
      <HTMLSelect
        id="qcred-key-provider"
        value={form.keyProvider}
        onChange={e => set({ keyProvider: e.target.value })}
        options={choices.map(([value, label]) => ({ value, label }))}
      />
      <Field form={form} set={set} field="keyToken" id="qcred-key-token" label={trans.__('API key')} secret />
    </div>
  );
}

export function QcsLoginFields(props: IFormProps): React.ReactElement {
  return (
    <div className="jp-qcred-form">
      <p>
        {props.trans.__(
          'You get a link and a code: open the link, log in to Rigetti QCS and confirm the code. The panel finishes by itself.'
        )}
      </p>
      <ProfileField {...props} />
    </div>
  );
}

export function FileFields({
  trans,
  form,
  set,
  onFile,
  choices
}: IFormProps & { onFile: (file: File | null) => void; choices: ProviderChoices }): React.ReactElement {
  return (
    <div className="jp-qcred-form">
      <label htmlFor="qcred-file">
        {trans.__('Credentials file (qiskit-ibm.json, qiskitrc, secrets.toml, settings.toml or .env)')}
      </label>
      <input id="qcred-file" data-testid="qcred-file" type="file" onChange={e => onFile(e.target.files?.[0] ?? null)} />
      <label htmlFor="qcred-file-provider">{trans.__('Provider')}</label>
      <HTMLSelect
        id="qcred-file-provider"
        value={form.fileProvider}
        onChange={e => set({ fileProvider: e.target.value })}
        options={choices.map(([value, label]) => ({ value, label }))}
      />
      {form.file && (
        <p className="jp-qcred-muted" role="status">
          {trans.__('Read %1 (%2 bytes).', form.file.name, form.file.content.length)}
        </p>
      )}
      {form.fileError && (
        <p className="jp-qcred-error" role="alert">
          {form.fileError}
        </p>
      )}
    </div>
  );
}

/** "Make it the default …", for the provider the chosen method writes to. */
export function MakeDefaultField({
  trans,
  provider,
  checked,
  onChange
}: {
  trans: TranslationBundle;
  provider: ProviderId;
  checked: boolean;
  onChange: (checked: boolean) => void;
}): React.ReactElement {
  return (
    <label className="jp-qcred-check">
      <input
        type="checkbox"
        data-testid="qcred-make-default"
        checked={checked}
        onChange={e => onChange(e.target.checked)}
      />{' '}
      {provider === 'qcs'
        ? trans.__('Make it the default Rigetti QCS profile')
        : trans.__('Make it the default IBM Quantum account')}
    </label>
  );
}

/** The server already has this name: ask, in the same dialog, whether to replace it or pick another name. */
export function ConflictFields({
  trans,
  conflict,
  canRename,
  set
}: {
  trans: TranslationBundle;
  conflict: IConflict;
  canRename: boolean;
  set: (patch: Partial<IConflict>) => void;
}): React.ReactElement {
  return (
    <fieldset className="jp-qcred-fieldset jp-qcred-conflict" data-testid="qcred-conflict">
      <legend>{trans.__("Replace '%1'?", conflict.name)}</legend>
      <p className="jp-qcred-muted">{conflict.message}</p>
      <label className="jp-qcred-radio">
        <input
          type="radio"
          name="qcred-conflict"
          data-testid="qcred-conflict-replace"
          checked={conflict.choice === 'replace'}
          onChange={() => set({ choice: 'replace' })}
        />{' '}
        {trans.__("Replace '%1' with what you entered", conflict.name)}
      </label>
      {canRename && (
        <>
          <label className="jp-qcred-radio">
            <input
              type="radio"
              name="qcred-conflict"
              data-testid="qcred-conflict-rename"
              checked={conflict.choice === 'rename'}
              onChange={() => set({ choice: 'rename' })}
            />{' '}
            {trans.__('Save it under a new name:')}
          </label>
          <input
            className="jp-mod-styled jp-qcred-input"
            data-testid="qcred-conflict-name"
            aria-label={trans.__('New name')}
            autoComplete="off"
            spellCheck={false}
            value={conflict.newName}
            onFocus={() => set({ choice: 'rename' })}
            onChange={e => set({ choice: 'rename', newName: e.target.value })}
          />
        </>
      )}
    </fieldset>
  );
}

/** The file sends tokens to hosts they have not gone to: show them, and ask for an explicit, unticked choice. */
export function HostsFields({
  trans,
  question,
  set
}: {
  trans: TranslationBundle;
  question: IHostsQuestion;
  set: (trusted: boolean) => void;
}): React.ReactElement {
  const hosts = question.hosts.join(', ');
  return (
    <fieldset className="jp-qcred-fieldset jp-qcred-conflict" data-testid="qcred-hosts">
      <legend>{trans.__('Send your tokens to a new host?')}</legend>
      <p data-testid="qcred-hosts-list">
        {trans.__('This file sends your tokens to: %1. Only continue if you trust it.', hosts)}
      </p>
      <label className="jp-qcred-radio">
        <input
          type="checkbox"
          data-testid="qcred-hosts-trust"
          checked={question.trusted}
          onChange={e => set(e.target.checked)}
        />{' '}
        {trans.__('Send my tokens to %1', hosts)}
      </label>
    </fieldset>
  );
}

/**
 * Keeps what it wraps in view: scrolled into the dialog's visible part when it appears or `watch` changes (a question
 * or an answer below the fold of a 720 px high window would otherwise go unseen).
 */
export function InView({ watch, children }: { watch: unknown; children: React.ReactNode }): React.ReactElement {
  const ref = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    ref.current?.scrollIntoView?.({ block: 'nearest' });
  }, [watch]);
  return <div ref={ref}>{children}</div>;
}
