import * as React from 'react';
import { slug } from '../model/status';
import type { ILogin } from '../types';
import { IContext } from './context';

/** Device-code logins waiting for the user (also shown after their dialog was closed). */
export function Logins({ ctx, logins }: { ctx: IContext; logins: ILogin[] }): React.ReactElement | null {
  const { trans } = ctx;
  if (!logins.length) {
    return null;
  }
  return (
    <div className="jp-qcred-message jp-qcred-message--info">
      {logins.map(l => (
        <p key={l.id} data-testid={`qcred-login-${slug(l.id)}`}>
          {trans.__('Rigetti QCS login waiting for you: open ')}
          <a
            href={l.verification_uri_complete ?? l.verification_uri ?? '#'}
            target="_blank"
            rel="noopener noreferrer"
            className="jp-qcred-link"
          >
            {l.verification_uri ?? l.verification_uri_complete}
          </a>{' '}
          {trans.__('and confirm the code')} <code className="jp-qcred-code">{l.user_code}</code>
        </p>
      ))}
    </div>
  );
}
