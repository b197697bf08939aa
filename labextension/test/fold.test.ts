import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cardHealth,
  CardHealth,
  FoldMemory,
  foldLine,
  foldParts,
  foldState,
  IChoiceStorage,
  orderProviders,
  soonestExpiry
} from '../src/model/fold';
import { entry, status } from './fixtures';

const MIN = 60000;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

/** Eight clouds in the server's (registered) order, each in the state named. */
const EIGHT = status(
  [
    entry('ibm', 'platform', 'ok', { action_needed: false, default: true }),
    entry('qcs', 'default', 'ok', { action_needed: false, expires_at: iso(NOW + 47 * MIN), default: true }),
    entry('ionq', 'default', 'needs_reinit', { action_needed: true, default: true }),
    entry('braket', 'default', 'error', {
      action_needed: false,
      retrying: true,
      expires_at: iso(NOW + 50 * MIN),
      default: true
    }),
    entry('nexus', null, 'absent'),
    entry('azure', 'default', 'ok', { action_needed: false, warnings: ['The file can be read by others.'] }),
    entry('iqm', 'lab', 'unsupported', { action_needed: true }),
    entry('qbraid', 'default', 'expiring', { action_needed: false, expires_at: iso(NOW + 5 * MIN) })
  ],
  {
    defaults: {
      ibm: 'platform',
      qcs: 'default',
      ionq: 'default',
      braket: 'default',
      nexus: null,
      azure: 'default',
      iqm: null,
      qbraid: 'default'
    }
  }
);
const ORDER = ['ibm', 'qcs', 'ionq', 'braket', 'nexus', 'azure', 'iqm', 'qbraid'];

describe('cardHealth', () => {
  it("reads the server's one rule for action, and never re-derives it", () => {
    assert.equal(cardHealth(EIGHT, 'ionq'), 'action');
    assert.equal(cardHealth(EIGHT, 'iqm'), 'action');
    // An error the server calls calm (a refresh retrying with time left) is not action, but is worth reading.
    assert.equal(cardHealth(EIGHT, 'braket'), 'attention');
    // The server's word wins over the state: an `error` it says needs no action does not open as action.
    const calm = status([entry('x', 'a', 'error', { action_needed: false })]);
    assert.equal(cardHealth(calm, 'x'), 'ok');
  });

  it('calls a warning, or a file in the open folder that shadows the key, worth reading', () => {
    assert.equal(cardHealth(EIGHT, 'azure'), 'attention');
    assert.equal(cardHealth(EIGHT, 'ibm'), 'ok');
    assert.equal(cardHealth(EIGHT, 'ibm', 1), 'attention');
  });

  it('keeps a token renewed by itself (expiring) all well, and not set up apart', () => {
    assert.equal(cardHealth(EIGHT, 'qbraid'), 'ok');
    assert.equal(cardHealth(EIGHT, 'nexus'), 'none');
  });

  it('opens a file the server could not read as action (older servers: by state)', () => {
    const broken = status([entry('qcs', null, 'error', { error: 'settings.toml line 3' })]);
    assert.equal(cardHealth(broken, 'qcs'), 'action');
  });
});

describe('orderProviders', () => {
  it('puts action first, then what is worth reading, then all well, then not set up', () => {
    const order = orderProviders(ORDER, p => cardHealth(EIGHT, p));
    assert.deepEqual(order, ['ionq', 'iqm', 'braket', 'azure', 'ibm', 'qcs', 'qbraid', 'nexus']);
  });

  it("keeps the server's order within each kind (stable)", () => {
    const all: CardHealth = 'ok';
    assert.deepEqual(
      orderProviders(ORDER, () => all),
      ORDER
    );
    const reversed = [...ORDER].reverse();
    assert.deepEqual(
      orderProviders(reversed, () => all),
      reversed
    );
  });
});

describe('foldState', () => {
  it('folds all well and not set up, opens action and attention by itself', () => {
    assert.deepEqual(foldState('ok', null), { open: false, stale: false, carries: false });
    assert.deepEqual(foldState('none', null), { open: false, stale: false, carries: false });
    assert.deepEqual(foldState('action', null), { open: true, stale: false, carries: false });
    assert.deepEqual(foldState('attention', null), { open: true, stale: false, carries: false });
  });

  it("follows a person's choice while it holds", () => {
    const holds = (open: boolean) => ({ open, stale: false, carries: false });
    assert.deepEqual(foldState('ok', { open: true, health: 'ok' }), holds(true));
    assert.deepEqual(foldState('attention', { open: false, health: 'attention' }), holds(false));
    // Closed while it needed action: stays closed while it still does.
    assert.deepEqual(foldState('action', { open: false, health: 'action' }), holds(false));
    // A card opened while well stays open after a warning came (nothing to open by itself).
    assert.deepEqual(foldState('attention', { open: true, health: 'ok' }), holds(true));
  });

  it('opens by itself, and ends the choice, when the card comes to need action', () => {
    assert.deepEqual(foldState('action', { open: false, health: 'ok' }), { open: true, stale: true, carries: false });
    const fromAttention = foldState('action', { open: false, health: 'attention' });
    assert.deepEqual(fromAttention, { open: true, stale: true, carries: false });
  });

  it('carries a choice made while it needed action on, so the next time it needs action it opens again', () => {
    // Closed during the first time it needed action, then well: still closed, now as a choice made while well...
    assert.deepEqual(foldState('ok', { open: false, health: 'action' }), { open: false, stale: false, carries: true });
    // ...so when it needs action again, it opens by itself.
    assert.deepEqual(foldState('action', { open: false, health: 'ok' }).open, true);
  });
});

describe('foldLine', () => {
  const names = (title: string, noun: string) => ({ title, noun });

  it('says title · noun and name · state · soonest expiry in plain words', () => {
    const ionq = status([entry('ionq', 'default', 'ok', { action_needed: false })]);
    assert.deepEqual(foldLine(ionq, 'ionq', names('IonQ', 'key'), NOW), ['IonQ', 'key default', 'OK', 'never expires']);
    assert.deepEqual(foldLine(EIGHT, 'qcs', names('Rigetti QCS', 'profile'), NOW), [
      'Rigetti QCS',
      'profile default',
      'OK',
      'expires in 47 min'
    ]);
    assert.deepEqual(foldLine(EIGHT, 'qbraid', names('qBraid', 'key'), NOW)[2], 'expiring');
  });

  it('lists two names, counts more, and takes the soonest expiry', () => {
    const two = status([
      entry('ibm', 'b', 'ok', { expires_at: iso(NOW + 3 * 60 * MIN) }),
      entry('ibm', 'a', 'ok', { expires_at: iso(NOW + 50 * 60 * MIN) })
    ]);
    assert.deepEqual(foldLine(two, 'ibm', names('IBM Quantum', 'account'), NOW), [
      'IBM Quantum',
      'accounts a, b',
      'OK',
      'expires in 3 h'
    ]);
    const three = status([entry('ibm', 'a', 'ok'), entry('ibm', 'b', 'ok'), entry('ibm', 'c', 'ok')]);
    assert.equal(foldLine(three, 'ibm', names('IBM Quantum', 'account'), NOW)[1], '3 accounts');
  });

  it('keeps the noun apart, for a narrow sidebar to leave out', () => {
    const ionq = status([entry('ionq', 'default', 'ok', { action_needed: false })]);
    assert.deepEqual(foldParts(ionq, 'ionq', names('IonQ', 'key'), NOW), {
      title: 'IonQ',
      noun: 'key',
      names: 'default',
      state: 'OK',
      expiry: 'never expires'
    });
    assert.equal(foldParts(EIGHT, 'nexus', names('Quantinuum Nexus', 'login'), NOW).names, null);
  });

  it('says not set up for a provider without a credential', () => {
    assert.deepEqual(foldLine(EIGHT, 'nexus', names('Quantinuum Nexus', 'account'), NOW), [
      'Quantinuum Nexus',
      'not set up'
    ]);
  });

  it('words expiries plainly', () => {
    assert.equal(soonestExpiry([], NOW), 'never expires');
    const at = (ms: number) => [entry('x', 'a', 'ok', { expires_at: iso(NOW + ms) })];
    assert.equal(soonestExpiry(at(20 * 1000), NOW), 'expires in under a minute');
    assert.equal(soonestExpiry(at(3 * 24 * 60 * MIN), NOW), 'expires in 3 d');
    assert.equal(soonestExpiry(at(-3 * MIN), NOW), 'expired 3 min ago');
  });
});

class MapStorage implements IChoiceStorage {
  items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('FoldMemory', () => {
  it('keeps choices per provider across instances (a reload) and forgets one', () => {
    const storage = new MapStorage();
    new FoldMemory(storage).set('ionq', { open: true, health: 'ok' });
    new FoldMemory(storage).set('qcs', { open: false, health: 'attention' });
    const reloaded = new FoldMemory(storage);
    assert.deepEqual(reloaded.get('ionq'), { open: true, health: 'ok' });
    assert.deepEqual(reloaded.get('qcs'), { open: false, health: 'attention' });
    reloaded.forget('ionq');
    assert.equal(new FoldMemory(storage).get('ionq'), null);
    assert.deepEqual(new FoldMemory(storage).get('qcs'), { open: false, health: 'attention' });
  });

  it('survives a corrupted or failing storage, keeping choices for the page', () => {
    const storage = new MapStorage();
    storage.items.set('jupyter-qcred:card-folds', '{not json');
    assert.equal(new FoldMemory(storage).get('ionq'), null);
    const failing: IChoiceStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      }
    };
    const memory = new FoldMemory(failing);
    memory.set('ionq', { open: true, health: 'ok' });
    assert.deepEqual(memory.get('ionq'), { open: true, health: 'ok' });
    const none = new FoldMemory(null);
    none.set('qcs', { open: true, health: 'ok' });
    assert.deepEqual(none.get('qcs'), { open: true, health: 'ok' });
  });
});
