import * as React from 'react';
import { safeLink } from '../model/links';
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
      {logins.map(l => {
        const link = safeLink(l.verification_uri_complete, l.verification_uri);
        const shown = safeLink(l.verification_uri, l.verification_uri_complete);
        return (
          <p key={l.id} data-testid={`qcred-login-${slug(l.id)}`}>
            {trans.__('Rigetti QCS login waiting for you: open ')}
            {link ? (
              <a href={link} target="_blank" rel="noopener noreferrer" className="jp-qcred-link">
                {shown}
              </a>
            ) : (
              trans.__('the sign-in page of your identity provider')
            )}{' '}
            {trans.__('and confirm the code')} <code className="jp-qcred-code">{l.user_code}</code>
          </p>
        );
      })}
    </div>
  );
}
