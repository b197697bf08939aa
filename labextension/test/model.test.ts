import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  accountsOf,
  defaultName,
  entriesOf,
  expiryAnnouncement,
  expiryPhase,
  formatCountdown,
  isLegacyIbm,
  normalizeSettings,
  notificationMessage,
  overallHealth,
  parseEventMessage,
  providerForFilename,
  refreshTokenBadge,
  slug,
  sortEntries,
  stateBadge,
  TransitionTracker
} from '../src/model';
import { API_EXAMPLE, entry, status } from './fixtures';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

describe('formatCountdown', () => {
  it('shows mm:ss under an hour', () => {
    assert.equal(formatCountdown(59 * MIN + 58 * S), '59:58');
    assert.equal(formatCountdown(59 * MIN + 58 * S + 999), '59:58');
    assert.equal(formatCountdown(5 * MIN + 3 * S), '05:03');
    assert.equal(formatCountdown(0), '00:00');
    assert.equal(formatCountdown(999), '00:00');
  });
  it('shows hours and minutes under a day', () => {
    assert.equal(formatCountdown(H), '1 h 00 min');
    assert.equal(formatCountdown(H + 2 * MIN + 59 * S), '1 h 02 min');
    assert.equal(formatCountdown(23 * H + 59 * MIN), '23 h 59 min');
  });
  it('shows days and hours beyond', () => {
    assert.equal(formatCountdown(24 * H), '1 d 00 h');
    assert.equal(formatCountdown(13 * 24 * H + 4 * H + 30 * MIN), '13 d 04 h');
  });
  it('says how long ago it expired', () => {
    assert.equal(formatCountdown(-1), 'expired just now');
    assert.equal(formatCountdown(-59 * S), 'expired just now');
    assert.equal(formatCountdown(-3 * MIN - 10 * S), 'expired 3 min ago');
    assert.equal(formatCountdown(-2 * H - 5 * MIN), 'expired 2 h ago');
    assert.equal(formatCountdown(-5 * 24 * H), 'expired 5 d ago');
  });
  it('is empty for non-finite input', () => {
    assert.equal(formatCountdown(NaN), '');
  });
});

describe('expiry phase (throttled live region)', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  it('classifies', () => {
    assert.equal(expiryPhase(null, now, 10), 'unknown');
    assert.equal(expiryPhase(now + 11 * MIN, now, 10), 'valid');
    assert.equal(expiryPhase(now + 10 * MIN, now, 10), 'soon');
    assert.equal(expiryPhase(now, now, 10), 'expired');
  });
  it('announces only per phase, never the seconds', () => {
    const a = expiryAnnouncement(expiryPhase(now + 30 * MIN, now, 10), 'Rigetti QCS default');
    const b = expiryAnnouncement(expiryPhase(now + 30 * MIN, now + S, 10), 'Rigetti QCS default');
    assert.equal(a, b);
    assert.match(a, /valid/);
    assert.match(expiryAnnouncement('expired', 'X'), /expired/);
    assert.equal(expiryAnnouncement('unknown', 'X'), '');
  });
});

describe('badges', () => {
  it('has text for every state (not colour alone)', () => {
    for (const s of ['ok', 'expiring', 'refreshing', 'expired', 'needs_reinit', 'error', 'absent']) {
      const b = stateBadge(s);
      assert.ok(b.text.length > 0);
      assert.match(b.className, /^jp-qcred-badge--/);
      assert.ok(b.description.length > 0);
    }
    assert.equal(stateBadge('needs_reinit').text, 'Action needed');
    assert.equal(stateBadge('ok').className, 'jp-qcred-badge--ok');
    assert.equal(stateBadge('weird').text, 'weird');
  });
  it('refresh token health', () => {
    assert.equal(refreshTokenBadge('ok').text, 'healthy');
    assert.equal(refreshTokenBadge(null).text, 'unknown');
    assert.equal(refreshTokenBadge('refused').className, 'jp-qcred-badge--error');
  });
});

describe('overallHealth', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  const opts = { now, warningMinutes: 10, providers: ['ibm', 'qcs'] as Array<'ibm' | 'qcs'> };
  it('loading / offline without status', () => {
    assert.equal(overallHealth(null, opts), 'loading');
    assert.equal(overallHealth(null, { ...opts, unreachable: true }), 'offline');
    assert.equal(overallHealth(API_EXAMPLE, { ...opts, unreachable: true }), 'offline');
  });
  it('none when only absent entries', () => {
    assert.equal(overallHealth(status([entry('ibm', null, 'absent'), entry('qcs', null, 'absent')]), opts), 'none');
  });
  it('ok for the api.md example', () => {
    assert.equal(overallHealth(API_EXAMPLE, opts), 'ok');
  });
  it('expiring by state or by time', () => {
    assert.equal(overallHealth(status([entry('qcs', 'a', 'expiring')]), opts), 'expiring');
    const soon = new Date(now + 5 * MIN).toISOString();
    assert.equal(overallHealth(status([entry('qcs', 'a', 'ok', { expires_at: soon })]), opts), 'expiring');
    assert.equal(
      overallHealth(status([entry('qcs', 'a', 'ok', { expires_at: soon })]), { ...opts, warningMinutes: 2 }),
      'ok'
    );
  });
  it('action wins over expiring', () => {
    for (const s of ['needs_reinit', 'expired', 'error'] as const) {
      assert.equal(overallHealth(status([entry('qcs', 'a', 'expiring'), entry('ibm', 'b', s)]), opts), 'action');
    }
  });
  it('ignores hidden providers', () => {
    const st = status([entry('qcs', 'a', 'ok'), entry('ibm', 'b', 'needs_reinit')]);
    assert.equal(overallHealth(st, { ...opts, providers: ['qcs'] }), 'ok');
    assert.equal(overallHealth(st, { ...opts, providers: [] }), 'none');
  });
});

describe('sorting and lookup', () => {
  it('default first, then name, absent last', () => {
    const sorted = sortEntries([
      entry('ibm', null, 'absent'),
      entry('ibm', 'zeta', 'ok'),
      entry('ibm', 'alpha', 'error'),
      entry('ibm', 'mid', 'ok', { default: true })
    ]);
    assert.deepEqual(
      sorted.map(e => e.name),
      ['mid', 'alpha', 'zeta', null]
    );
  });
  it('accounts, defaults and legacy detection on the api.md example', () => {
    assert.deepEqual(
      accountsOf(API_EXAMPLE, 'ibm').map(e => e.name),
      ['default-ibm-quantum-platform', 'legacy']
    );
    assert.equal(entriesOf(API_EXAMPLE, 'qcs').length, 1);
    assert.equal(defaultName(API_EXAMPLE, 'ibm'), 'default-ibm-quantum-platform');
    assert.equal(defaultName(status([entry('qcs', 'p', 'ok', { default: true })]), 'qcs'), 'p');
    assert.equal(defaultName(null, 'qcs'), null);
    assert.equal(isLegacyIbm(API_EXAMPLE.providers[2]), true);
    assert.equal(isLegacyIbm(API_EXAMPLE.providers[1]), false);
  });
  it('slug makes safe test ids', () => {
    assert.equal(slug('default-ibm-quantum-platform'), 'default-ibm-quantum-platform');
    assert.equal(slug('a b/c'), 'a_b_c');
    assert.equal(slug(null), 'none');
  });
});

describe('settings and parsing', () => {
  it('normalizes settings', () => {
    assert.deepEqual(normalizeSettings(null), { warningMinutes: 10, providers: ['ibm', 'qcs'], notifications: true });
    assert.deepEqual(normalizeSettings({ warningMinutes: 3, providers: ['qcs', 'bogus'], notifications: false }), {
      warningMinutes: 3,
      providers: ['qcs'],
      notifications: false
    });
    assert.equal(normalizeSettings({ warningMinutes: -1 }).warningMinutes, 10);
  });
  it('parses socket messages', () => {
    const m = parseEventMessage(
      JSON.stringify({ type: 'status', status: API_EXAMPLE, change: { provider: 'qcs', name: 'default', state: 'ok', previous: 'refreshing' } })
    );
    assert.ok(m);
    assert.equal(m.status.providers.length, 3);
    assert.equal(m.change?.previous, 'refreshing');
    assert.equal(parseEventMessage(JSON.stringify(API_EXAMPLE))?.change, null);
    assert.equal(parseEventMessage('not json'), null);
    assert.equal(parseEventMessage('{"type":"other"}'), null);
  });
  it('guesses the provider of an uploaded file', () => {
    assert.equal(providerForFilename('secrets.toml'), 'qcs');
    assert.equal(providerForFilename('settings.toml'), 'qcs');
    assert.equal(providerForFilename('qiskit-ibm.json'), 'ibm');
    assert.equal(providerForFilename('/home/a/.qiskit/qiskitrc'), 'ibm');
    assert.equal(providerForFilename('notes.txt'), null);
  });
});

describe('TransitionTracker (notifications)', () => {
  it('notifies once when entering needs_reinit, even when first seen so', () => {
    const t = new TransitionTracker();
    const fx1 = t.update(status([entry('qcs', 'default', 'needs_reinit', { error: 'Log in again.' })]));
    assert.deepEqual(fx1.map(f => f.kind), ['needs_reinit']);
    assert.equal(fx1[0].key, 'qcs/default');
    // the same state again (other credential changed, poll...) -> nothing
    assert.deepEqual(t.update(status([entry('qcs', 'default', 'needs_reinit')])), []);
    assert.deepEqual(t.update(status([entry('qcs', 'default', 'needs_reinit')])), []);
  });

  it('ok -> needs_reinit -> ok -> needs_reinit: one per transition, resolved in between', () => {
    const t = new TransitionTracker();
    assert.deepEqual(t.update(status([entry('ibm', 'a', 'ok')])), []);
    assert.deepEqual(t.update(status([entry('ibm', 'a', 'needs_reinit')])).map(f => f.kind), ['needs_reinit']);
    assert.deepEqual(t.update(status([entry('ibm', 'a', 'ok')])).map(f => f.kind), ['resolved']);
    assert.deepEqual(t.update(status([entry('ibm', 'a', 'ok')])), []);
    assert.deepEqual(t.update(status([entry('ibm', 'a', 'needs_reinit')])).map(f => f.kind), ['needs_reinit']);
  });

  it('a single error does not notify; the second failure in a row does, once', () => {
    const t = new TransitionTracker();
    t.update(status([entry('qcs', 'p', 'ok')]));
    assert.deepEqual(t.update(status([entry('qcs', 'p', 'error', { error: 'Provider down.', next_refresh_at: 'T1' })])), []);
    // the same error message repeated (another credential changed) is not a new failure
    assert.deepEqual(t.update(status([entry('qcs', 'p', 'error', { error: 'Provider down.', next_refresh_at: 'T1' })])), []);
    // a retry in between
    assert.deepEqual(t.update(status([entry('qcs', 'p', 'refreshing')])), []);
    const fx = t.update(status([entry('qcs', 'p', 'error', { error: 'Provider down.', next_refresh_at: 'T2' })]));
    assert.deepEqual(fx.map(f => f.kind), ['failing']);
    // third, fourth failure: no spam
    assert.deepEqual(t.update(status([entry('qcs', 'p', 'refreshing')])), []);
    assert.deepEqual(t.update(status([entry('qcs', 'p', 'error', { next_refresh_at: 'T3' })])), []);
    // recovery resolves it and resets the streak
    assert.deepEqual(t.update(status([entry('qcs', 'p', 'ok')])).map(f => f.kind), ['resolved']);
    assert.deepEqual(t.update(status([entry('qcs', 'p', 'error', { next_refresh_at: 'T4' })])), []);
  });

  it('counts pushed error->error changes as new attempts', () => {
    const t = new TransitionTracker();
    const st = status([entry('qcs', 'p', 'error', { error: 'x' })]);
    assert.deepEqual(t.update(st, { provider: 'qcs', name: 'p', state: 'error', previous: 'ok' }), []);
    const fx = t.update(st, { provider: 'qcs', name: 'p', state: 'error', previous: 'error' });
    assert.deepEqual(fx.map(f => f.kind), ['failing']);
  });

  it('success resets the streak: error, ok, error does not notify', () => {
    const t = new TransitionTracker();
    t.update(status([entry('ibm', 'a', 'error', { next_refresh_at: '1' })]));
    t.update(status([entry('ibm', 'a', 'ok')]));
    assert.deepEqual(t.update(status([entry('ibm', 'a', 'error', { next_refresh_at: '2' })])), []);
  });

  it('expired keeps the streak and does not resolve', () => {
    const t = new TransitionTracker();
    t.update(status([entry('ibm', 'a', 'error', { next_refresh_at: '1' })]));
    assert.deepEqual(t.update(status([entry('ibm', 'a', 'expired')])), []);
    assert.deepEqual(t.update(status([entry('ibm', 'a', 'error', { next_refresh_at: '2' })])).map(f => f.kind), [
      'failing'
    ]);
  });

  it('resolves when a notified credential disappears; ignores absent entries', () => {
    const t = new TransitionTracker();
    t.update(status([entry('qcs', 'p', 'needs_reinit'), entry('ibm', null, 'absent')]));
    const fx = t.update(status([entry('ibm', null, 'absent')]));
    assert.deepEqual(fx.map(f => [f.kind, f.key]), [['resolved', 'qcs/p']]);
  });

  it('tracks credentials independently', () => {
    const t = new TransitionTracker();
    const fx = t.update(status([entry('qcs', 'p', 'needs_reinit'), entry('ibm', 'a', 'needs_reinit')]));
    assert.deepEqual(fx.map(f => f.key).sort(), ['ibm/a', 'qcs/p']);
  });
});

describe('notificationMessage', () => {
  it('does not repeat the provider when the error names it', () => {
    const e = entry('qcs', 'default', 'needs_reinit', {
      error: "Rigetti QCS: the identity provider of profile 'default' refused the credential; sign in again."
    });
    assert.equal(notificationMessage(e, 'fallback'), e.error);
  });
  it('prefixes other errors with the credential, and falls back without one', () => {
    const e = entry('ibm', 'legacy', 'error', { error: 'The service did not answer; retrying.' });
    assert.equal(notificationMessage(e, 'fallback'), 'IBM Quantum legacy: The service did not answer; retrying.');
    assert.equal(notificationMessage(entry('ibm', 'legacy', 'needs_reinit'), 'fallback'), 'fallback');
  });
});
