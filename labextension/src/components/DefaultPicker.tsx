import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';
import { CommandIDs } from '../tokens';
import type { DefaultBody } from '../types';
import { exec, IContext } from './context';

/** A labelled choice of a default (account, profile or hub/group/project), set through the set-default command. */
export function DefaultPicker({
  ctx,
  id,
  label,
  current,
  choices,
  body
}: {
  ctx: IContext;
  /** Element id and test id. */
  id: string;
  label: string;
  current: string;
  choices: string[];
  /** The set-default body for a chosen value. */
  body: (value: string) => DefaultBody;
}): React.ReactElement {
  const { trans, store } = ctx;
  return (
    <div className="jp-qcred-field">
      <label htmlFor={id}>{label}</label>
      <HTMLSelect
        id={id}
        data-testid={id}
        value={current}
        disabled={store.busy.has('default')}
        onChange={ev => exec(ctx, CommandIDs.setDefault, { ...body(ev.target.value) })}
        options={[...(current ? [] : [{ value: '', label: trans.__('(none)') }]), ...choices]}
      />
    </div>
  );
}
