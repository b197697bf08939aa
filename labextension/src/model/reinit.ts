/**
 * What the re-initialize dialog proposes for a credential: the fix a person can actually do first, the fields of
 * the account or profile prefilled, and whether the result becomes the default.
 */
import type { ICredentialEntry, IStatus, ProviderId } from '../types';
import { accountsOf, isLegacyIbm } from './status';

export type ReinitMethod = 'ibm-token' | 'qcs-token' | 'file' | 'qcs-login' | 'hub';

/**
 * The way to fix `entry` a person can do: from JupyterHub when the hub handed it out (and may hand it again);
 * QCS: the browser login (a refused refresh token cannot be fixed by pasting it again, and few people have another
 * refresh token at hand: they get one by logging in);
 * IBM: paste an API key.
 */
export function suggestedMethod(
  entry: ICredentialEntry | null,
  provider: ProviderId | undefined,
  canUseHub: boolean
): ReinitMethod {
  if (entry && canUseHub && (entry.source === 'hub' || entry.source === 'bundle')) {
    return 'hub';
  }
  return (entry?.provider ?? provider) === 'qcs' ? 'qcs-login' : 'ibm-token';
}

/** Every way of providing credentials, the suggested one first. */
export function methodOrder(suggested: ReinitMethod, withHub: boolean): ReinitMethod[] {
  const all: ReinitMethod[] = ['ibm-token', 'qcs-token', 'file', 'qcs-login'];
  if (withHub) {
    all.unshift('hub');
  }
  return [suggested, ...all.filter(m => m !== suggested)].filter(m => all.includes(m));
}

/** The fields of the account or profile being re-initialized. */
export interface IPrefill {
  ibmName: string;
  ibmChannel: string;
  ibmInstance: string;
  qcsProfile: string;
}

export function prefill(entry: ICredentialEntry | null): Partial<IPrefill> {
  if (!entry?.name) {
    return {};
  }
  if (entry.provider === 'qcs') {
    return { qcsProfile: entry.name };
  }
  const acc = entry.account ?? {};
  const instance = isLegacyIbm(entry) ? (acc.default_instance ?? acc.instance) : acc.instance;
  return {
    ibmName: entry.name,
    ...(acc.channel ? { ibmChannel: acc.channel } : {}),
    ibmInstance: instance ?? ''
  };
}

/** The provider a method writes to (the file's provider for uploads). */
export function methodProvider(method: ReinitMethod, fileProvider: ProviderId): ProviderId | null {
  switch (method) {
    case 'ibm-token':
      return 'ibm';
    case 'qcs-token':
    case 'qcs-login':
      return 'qcs';
    case 'file':
      return fileProvider;
    default:
      return null;
  }
}

/** "Make it the default" starts checked only for a provider's first credential. */
export function makeDefaultInitially(status: IStatus | null, provider: ProviderId | null): boolean {
  return provider !== null && accountsOf(status, provider).length === 0;
}
