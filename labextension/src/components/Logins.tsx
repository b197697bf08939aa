import * as React from 'react';
import { safeLink } from '../model/links';
import { providerTitle, slug } from '../model/status';
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
          {trans.__('%1 login waiting for you: open ', trans.__(providerTitle(ctx.store.status, l.provider)))}
          <LoginLink
            url={safeLink(l.verification_uri_complete, l.verification_uri)}
            shown={safeLink(l.verification_uri, l.verification_uri_complete)}
          />{' '}
          {trans.__('and confirm the code')} <code className="jp-qcred-code">{l.user_code}</code>
        </p>
      ))}
    </div>
  );
}

/** The login page as a link when it is a safe address (model/links.ts), else as plain text. */
export function LoginLink({
  url,
  shown,
  testid
}: {
  url: string | null | undefined;
  shown?: string | null;
  testid?: string;
}): React.ReactElement {
  const href = safeLink(url);
  const text = shown ?? url ?? '';
  if (!href) {
    return (
      <code className="jp-qcred-code jp-qcred-url" data-testid={testid}>
        {text}
      </code>
    );
  }
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" className="jp-qcred-link" data-testid={testid}>
      {text}
    </a>
  );
}
