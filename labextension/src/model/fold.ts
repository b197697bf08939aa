/**
 * Which cards are open and in what order, so eight clouds stay scannable: a provider whose credentials are all well
 * folds to one line, one that needs a person opens by itself and comes first. What "needs a person" means is the
 * server's one rule (`actionNeeded`, core/states.py); this module only ranks and remembers.
 */
import type { ICredentialEntry, IStatus, ProviderId } from '../types';
import { actionNeeded } from './health';
import { warningsOf } from './notes';
import { accountsOf, entriesOf } from './status';
import { parseTime } from './time';

/**
 * A card's health, in the order the panel shows cards: `action` (the one rule says a person must act), `attention`
 * (usable, but something to read: a refresh retrying, a warning, a refresh token running out, a folder's file that
 * shadows the key), `ok` (all well), `none` (not set up: a choice, not a fault).
 */
export type CardHealth = 'action' | 'attention' | 'ok' | 'none';

const RANK: Record<CardHealth, number> = { action: 0, attention: 1, ok: 2, none: 3 };

/** Whether an entry is usable but has something a person should read (never re-derives "action needed"). */
function wantsAttention(e: ICredentialEntry): boolean {
  return !!e.retrying || warningsOf(e).length > 0 || e.account?.refresh_token_state === 'expiring';
}

/**
 * The health of `provider`'s card from its entries (a file the server could not read is an entry too) and from the
 * number of findings of the folder open in the file browser that shadow its credential.
 */
export function cardHealth(status: IStatus | null, provider: ProviderId, shadows = 0): CardHealth {
  const entries = entriesOf(status, provider);
  if (entries.some(actionNeeded)) {
    return 'action';
  }
  if (shadows > 0 || entries.some(wantsAttention)) {
    return 'attention';
  }
  return entries.some(e => e.state !== 'absent') ? 'ok' : 'none';
}

/** Action first, then attention, then all well, then not set up; the server's (registered) order within each. */
export function orderProviders(providers: ProviderId[], healthOf: (p: ProviderId) => CardHealth): ProviderId[] {
  return providers
    .map((p, i) => ({ p, i, rank: RANK[healthOf(p)] }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map(x => x.p);
}

/** A person's open/close of a card, with the card's health when they chose. */
export interface IFoldChoice {
  open: boolean;
  health: CardHealth;
}

/**
 * Whether the card is open: a person's choice while it holds, else open when something is to be read. A choice
 * made while the card did not need action is `stale` once it does: the card opens by itself and the choice ends.
 * A choice made while it needed action `carries` on once it no longer does, as a choice made then (so the next
 * time it needs action, it opens by itself again).
 */
export function foldState(
  health: CardHealth,
  choice: IFoldChoice | null | undefined
): { open: boolean; stale: boolean; carries: boolean } {
  const stale = !!choice && health === 'action' && choice.health !== 'action';
  const carries = !!choice && health !== 'action' && choice.health === 'action';
  if (choice && !stale) {
    return { open: choice.open, stale: false, carries };
  }
  return { open: health === 'action' || health === 'attention', stale, carries: false };
}

/** "47 min", "3 h", "12 d": a span in plain words, rounded down. */
function span(ms: number): string {
  const min = Math.floor(ms / 60000);
  if (min < 1) {
    return 'under a minute';
  }
  if (min < 60) {
    return `${min} min`;
  }
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h` : `${Math.floor(h / 24)} d`;
}

/** The soonest expiry of `entries` in plain words: "never expires", "expires in 47 min", "expired 3 min ago". */
export function soonestExpiry(entries: ICredentialEntry[], now: number): string {
  const times = entries.map(e => parseTime(e.expires_at)).filter((t): t is number => t !== null);
  if (!times.length) {
    return 'never expires';
  }
  const soonest = Math.min(...times);
  return soonest > now ? `expires in ${span(soonest - now)}` : `expired ${span(now - soonest)} ago`;
}

/** What a folded card says, part by part (a narrow sidebar leaves the noun out; model/fold.ts' tests read it). */
export interface IFoldParts {
  title: string;
  /** "key", "keys"; null when there is no credential. */
  noun: string | null;
  /** "default", "a, b", or a count ("3 accounts", then noun is null); null when there is no credential. */
  names: string | null;
  /** "OK", "expiring", "retrying", "not set up", "file cannot be read"... */
  state: string;
  /** "never expires", "expires in 47 min"; null when there is no credential. */
  expiry: string | null;
}

/** The parts of a folded card's line, e.g. IonQ, key, default, OK, never expires. */
export function foldParts(
  status: IStatus | null,
  provider: ProviderId,
  names: { title: string; noun: string },
  now: number
): IFoldParts {
  const accounts = accountsOf(status, provider);
  const title = names.title;
  if (!accounts.length) {
    const broken = entriesOf(status, provider).some(e => e.state === 'error');
    return { title, noun: null, names: null, state: broken ? 'file cannot be read' : 'not set up', expiry: null };
  }
  const few = accounts.length <= 2;
  const states: string[] = accounts.map(a => (a.retrying ? 'retrying' : a.state));
  const worst = WORST_FIRST.find(s => states.includes(s));
  return {
    title,
    noun: few ? `${names.noun}${accounts.length > 1 ? 's' : ''}` : null,
    names: few ? accounts.map(a => a.name).join(', ') : `${accounts.length} ${names.noun}s`,
    state: worst ? STATE_WORDS[worst] : 'OK',
    expiry: soonestExpiry(accounts, now)
  };
}

/** The folded card's line as words, e.g. ["IonQ", "key default", "OK", "never expires"]. */
export function foldLine(
  status: IStatus | null,
  provider: ProviderId,
  names: { title: string; noun: string },
  now: number
): string[] {
  const p = foldParts(status, provider, names, now);
  if (p.names === null) {
    return [p.title, p.state];
  }
  return [p.title, p.noun ? `${p.noun} ${p.names}` : p.names, p.state, p.expiry ?? ''];
}

const WORST_FIRST = ['needs_reinit', 'expired', 'error', 'unsupported', 'retrying', 'expiring', 'refreshing'];

const STATE_WORDS: Record<string, string> = {
  needs_reinit: 'action needed',
  expired: 'expired',
  error: 'error',
  unsupported: 'unsupported',
  retrying: 'retrying',
  expiring: 'expiring',
  refreshing: 'refreshing'
};

/** Where a person's choices live (window.localStorage in the page; a Map in the tests). */
export interface IChoiceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const FOLD_STORAGE_KEY = 'jupyter-qcred:card-folds';

/**
 * A person's open/close per provider, kept across reloads in the browser's storage (like the restart flag in
 * session storage): the panel's own UI state, not a setting anybody edits. A storage that fails (private mode,
 * full, corrupted) loses the choices, never the panel.
 */
export class FoldMemory {
  constructor(storage: IChoiceStorage | null, key = FOLD_STORAGE_KEY) {
    this._storage = storage;
    this._key = key;
  }

  get(provider: ProviderId): IFoldChoice | null {
    const c = this._read()[provider];
    return c && typeof c.open === 'boolean' && typeof c.health === 'string' ? c : null;
  }

  set(provider: ProviderId, choice: IFoldChoice): void {
    this._write({ ...this._read(), [provider]: choice });
  }

  forget(provider: ProviderId): void {
    const all = this._read();
    if (provider in all) {
      delete all[provider];
      this._write(all);
    }
  }

  private _read(): Record<ProviderId, IFoldChoice> {
    try {
      const stored = this._storage?.getItem(this._key);
      if (stored === null || stored === undefined) {
        return { ...this._kept };
      }
      const raw = JSON.parse(stored) as unknown;
      return raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<ProviderId, IFoldChoice>) : {};
    } catch {
      return { ...this._kept };
    }
  }

  private _write(all: Record<ProviderId, IFoldChoice>): void {
    this._kept = all;
    try {
      this._storage?.setItem(this._key, JSON.stringify(all));
    } catch {
      // storage full or disabled: the choice lasts until the page is reloaded (this._kept)
    }
  }

  /** The choices of this page, for when the storage cannot be written. */
  private _kept: Record<ProviderId, IFoldChoice> = {};

  private _storage: IChoiceStorage | null;
  private _key: string;
}

/** The page's local storage, or null where it is disabled. */
export function browserStorage(): IChoiceStorage | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}
