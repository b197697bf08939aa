import * as React from 'react';
import { refreshTokenBadge } from '../model/badges';
import type { IAccountProps } from './AccountItem';
import { Value } from './Value';

/** User, groups and refresh-token health of a Rigetti QCS profile. */
export function QcsDetails({ ctx, entry, testid }: IAccountProps): React.ReactElement {
  const { trans } = ctx;
  const acc = entry.account ?? {};
  const rt = refreshTokenBadge(acc.refresh_token_state);
  return (
    <>
      {acc.user?.email && (
        <>
          <dt>{trans.__('User')}</dt>
          <dd>
            <Value ctx={ctx} value={acc.user.email} testid={`qcred-email-${testid}`} />
          </dd>
        </>
      )}
      <dt>{trans.__('Groups')}</dt>
      <dd>
        <Value
          ctx={ctx}
          value={acc.groups?.length ? acc.groups.map(g => g.name).join(', ') : trans.__('none')}
          testid={`qcred-groups-${testid}`}
        />
      </dd>
      <dt>{trans.__('Refresh token')}</dt>
      <dd>
        <span
          className={`jp-qcred-badge ${rt.className}`}
          data-testid={`qcred-rt-${testid}`}
          data-state={acc.refresh_token_state ?? ''}
          title={trans.__(rt.description)}
        >
          {trans.__(rt.text)}
        </span>
      </dd>
      {acc.credential_kind && acc.credential_kind !== 'token_payload' && (
        <>
          <dt>{trans.__('Kind')}</dt>
          <dd>{acc.credential_kind.replace(/_/g, ' ')}</dd>
        </>
      )}
    </>
  );
}
