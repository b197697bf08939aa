/** Reading the status JSON: lookups, ordering, labels and socket messages. */
import type { ICredentialEntry, IEventMessage, ILogin, IStatus, ProviderId } from '../types';

export const PROVIDERS: ProviderId[] = ['ibm', 'qcs'];

export const PROVIDER_TITLES: Record<ProviderId, string> = {
  ibm: 'IBM Quantum',
  qcs: 'Rigetti QCS',
  // Names of the later providers for the few places without a status at hand (notifications); the panel uses
  // the server's `provider_info`.
  ionq: 'IonQ',
  braket: 'Amazon Braket',
  nexus: 'Quantinuum Nexus'
};

/** The providers the server manages, in its order (`defaults` has one key per enabled provider). */
export function serverProviders(status: IStatus | null): ProviderId[] {
  const keys = Object.keys(status?.defaults ?? {});
  return keys.length ? keys : [...new Set((status?.providers ?? []).map(e => e.provider))];
}

/** The providers to show: the user's choice (setting `providers`), or null for all the server manages. */
export function shownProviders(status: IStatus | null, chosen: ProviderId[] | null): ProviderId[] {
  const managed = serverProviders(status);
  return chosen === null ? managed : managed.filter(p => chosen.includes(p));
}

/** A provider's name for people: the server's, else ours, else its key. */
export function providerTitle(status: IStatus | null, provider: ProviderId): string {
  return status?.provider_info?.[provider]?.title ?? PROVIDER_TITLES[provider] ?? provider;
}

/** Entries of the providers the user wants to see (null: all). */
export function visibleEntries(status: IStatus | null, providers: ProviderId[] | null): ICredentialEntry[] {
  return (status?.providers ?? []).filter(e => providers === null || providers.includes(e.provider));
}

/** Default first, then by name; `absent` placeholders last. Stable for the UI. */
export function sortEntries(entries: ICredentialEntry[]): ICredentialEntry[] {
  return [...entries].sort((a, b) => {
    const abs = Number(a.state === 'absent') - Number(b.state === 'absent');
    if (abs) {
      return abs;
    }
    const def = Number(!!b.default) - Number(!!a.default);
    if (def) {
      return def;
    }
    return (a.name ?? '').localeCompare(b.name ?? '');
  });
}

export function entriesOf(status: IStatus | null, provider: ProviderId): ICredentialEntry[] {
  return sortEntries(visibleEntries(status, [provider]));
}

/** Named (configured) entries of a provider, sorted. */
export function accountsOf(status: IStatus | null, provider: ProviderId): ICredentialEntry[] {
  return entriesOf(status, provider).filter(e => e.state !== 'absent' && e.name !== null);
}

/** The default account of a provider: `status.defaults`, else the entry flagged default. */
export function defaultName(status: IStatus | null, provider: ProviderId): string | null {
  const d = status?.defaults?.[provider];
  if (d) {
    return d;
  }
  const e = (status?.providers ?? []).find(x => x.provider === provider && x.default);
  return e?.name ?? null;
}

export function isLegacyIbm(e: ICredentialEntry): boolean {
  return e.provider === 'ibm' && e.account?.channel === 'ibm_quantum';
}

export function instanceKey(i: { hub: string; group: string; project: string }): string {
  return `${i.hub}/${i.group}/${i.project}`;
}

/** Safe for ids / data-testids: keeps [A-Za-z0-9_-], replaces the rest. */
export function slug(s: string | null | undefined): string {
  return (s ?? 'none').replace(/[^A-Za-z0-9_-]/g, '_');
}

export function entryKey(e: { provider: string; name: string | null }): string {
  return `${e.provider}/${e.name ?? ''}`;
}

/** Human name of an entry for labels. */
export function entryLabel(e: { provider: ProviderId; name: string | null }): string {
  return `${PROVIDER_TITLES[e.provider] ?? e.provider} ${e.name ?? ''}`.trim();
}

export function findLogin(status: IStatus | null, id: string): ILogin | null {
  return (status?.logins ?? []).find(l => l.id === id) ?? null;
}

/** Message -> status, tolerant of a bare status JSON. */
export function parseEventMessage(data: string): IEventMessage | null {
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== 'object') {
    return null;
  }
  const m = msg as Partial<IEventMessage> & Partial<IStatus>;
  if (m.type === 'status' && m.status && Array.isArray(m.status.providers)) {
    return { type: 'status', status: m.status, change: m.change ?? null };
  }
  if (Array.isArray(m.providers)) {
    return { type: 'status', status: m as IStatus, change: null };
  }
  return null;
}
