/**
 * What the re-initialize dialog proposes for a credential: the fix a person can actually do first, the fields of
 * the account or profile prefilled, and whether the result becomes the default.
 */
import type { ICredentialEntry, IStatus, ProviderId } from '../types';
import { accountsOf, isLegacyIbm } from './status';

export type ReinitMethod = 'ibm-token' | 'qcs-token' | 'key' | 'file' | 'qcs-login' | 'hub';

/** Providers offered in a select: key and the name people see. */
export type ProviderChoices = Array<[ProviderId, string]>;

/** The providers that take `way` ('token', 'upload', 'login'), as the server says (status `provider_info`). */
export function offering(status: IStatus | null, way: string): ProviderChoices {
  return Object.entries(status?.provider_info ?? {})
    .filter(([, info]) => info.methods.includes(way))
    .map(([key, info]) => [key, info.title]);
}

/** The providers other than IBM and QCS (which have their own fields) that take a pasted key or token. */
export function keyChoices(status: IStatus | null): ProviderChoices {
  return offering(status, 'token').filter(([key]) => key !== 'ibm' && key !== 'qcs');
}

/** The providers that take an uploaded file (IBM and QCS for a server that does not say). */
export function fileChoices(status: IStatus | null): ProviderChoices {
  const offered = offering(status, 'upload');
  return offered.length ? offered : [['ibm', 'IBM Quantum'], ['qcs', 'Rigetti QCS']];
}

/**
 * The way to fix `entry` a person can do: from JupyterHub when the hub handed it out (and may hand it again);
 * QCS: the browser login (a refused refresh token cannot be fixed by pasting it again, and few people have another
 * refresh token at hand: they get one by logging in);
 * IBM: paste an API key; a provider in `keyProviders` (IonQ, Nexus): paste its key; any other provider (Braket):
 * JupyterHub if it can, else a file.
 */
export function suggestedMethod(
  entry: ICredentialEntry | null,
  provider: ProviderId | undefined,
  canUseHub: boolean,
  keyProviders: ProviderId[] = []
): ReinitMethod {
  if (entry && canUseHub && (entry.source === 'hub' || entry.source === 'bundle')) {
    return 'hub';
  }
  const wanted = entry?.provider ?? provider;
  if (wanted === undefined || wanted === 'ibm') {
    return 'ibm-token';
  }
  if (wanted === 'qcs') {
    return 'qcs-login';
  }
  if (keyProviders.includes(wanted)) {
    return 'key';
  }
  return canUseHub ? 'hub' : 'file';
}

/** Every way of providing credentials, the suggested one first ('key' only when a provider takes one). */
export function methodOrder(suggested: ReinitMethod, withHub: boolean, withKey = false): ReinitMethod[] {
  const all: ReinitMethod[] = ['ibm-token', 'qcs-token', ...(withKey ? (['key'] as const) : []), 'file', 'qcs-login'];
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
  keyProvider: ProviderId;
  fileProvider: ProviderId;
}

export function prefill(entry: ICredentialEntry | null): Partial<IPrefill> {
  if (!entry?.name) {
    return {};
  }
  if (entry.provider === 'qcs') {
    return { qcsProfile: entry.name };
  }
  if (entry.provider !== 'ibm') {
    return { keyProvider: entry.provider, fileProvider: entry.provider };
  }
  const acc = entry.account ?? {};
  const instance = isLegacyIbm(entry) ? (acc.default_instance ?? acc.instance) : acc.instance;
  return {
    ibmName: entry.name,
    ...(acc.channel ? { ibmChannel: acc.channel } : {}),
    ibmInstance: instance ?? ''
  };
}

/** The provider a method writes to (the file's provider for uploads, the key's for a pasted key). */
export function methodProvider(method: ReinitMethod, fileProvider: ProviderId, keyProvider = ''): ProviderId | null {
  switch (method) {
    case 'key':
      return keyProvider || null;
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
