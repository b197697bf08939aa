import * as React from 'react';
import { instanceKey, isLegacyIbm } from '../model/status';
import type { IAccountProps } from './AccountItem';
import { DefaultPicker } from './DefaultPicker';
import { Value } from './Value';

/** Channel and instance of an IBM Quantum account. */
export function IbmDetails({ ctx, entry, testid }: IAccountProps): React.ReactElement {
  const { trans } = ctx;
  const acc = entry.account ?? {};
  return (
    <>
      <dt>{trans.__('Channel')}</dt>
      <dd>
        <Value ctx={ctx} value={acc.channel ?? trans.__('unknown')} testid={`qcred-channel-${testid}`} />
      </dd>
      {(!isLegacyIbm(entry) || !acc.instances?.length) && acc.instance && (
        <>
          <dt>{trans.__('Instance')}</dt>
          <dd>
            <Value ctx={ctx} value={acc.instance} testid={`qcred-instance-value-${testid}`} copy code />
          </dd>
        </>
      )}
    </>
  );
}

/** The hub/group/project list of a legacy (`ibm_quantum`) account, with its default. */
export function InstancePicker({ ctx, entry, testid }: IAccountProps): React.ReactElement | null {
  const { trans } = ctx;
  const instances = entry.account?.instances ?? [];
  // An account nobody can use (the SDK refuses it, the provider refused it) offers no choice to make.
  if (!isLegacyIbm(entry) || !instances.length || ['unsupported', 'needs_reinit'].includes(entry.state)) {
    return null;
  }
  const flagged = instances.find(i => i.default);
  const current = entry.account?.default_instance ?? (flagged ? instanceKey(flagged) : '');
  const name = entry.name ?? '';
  return (
    <div className="jp-qcred-instances">
      <ul aria-label={trans.__('Hub/group/project of %1', name)} data-testid={`qcred-instances-${testid}`}>
        {instances.map(i => {
          const k = instanceKey(i);
          return (
            <li key={k}>
              <code>{k}</code>
              {k === current && <span className="jp-qcred-tag">{trans.__('default')}</span>}
            </li>
          );
        })}
      </ul>
      {instances.length > 1 && (
        <DefaultPicker
          ctx={ctx}
          id={`qcred-instance-${testid}`}
          label={trans.__('Default hub/group/project')}
          current={current}
          choices={instances.map(instanceKey)}
          body={instance => ({ provider: 'ibm', name, instance })}
        />
      )}
    </div>
  );
}
