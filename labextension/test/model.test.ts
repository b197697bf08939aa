import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lastRefreshInfo, refreshTokenBadge, retryInfo, stateBadge } from '../src/model/badges';
import { overallHealth } from '../src/model/health';
import {
  alertOf,
  entryError,
  notificationMessage,
  NotificationPlanner,
  resultToast
} from '../src/model/notifications';
import { normalizeSettings } from '../src/model/settings';
import {
  accountsOf,
  defaultName,
  entriesOf,
  isLegacyIbm,
  parseEventMessage,
  providerTitle,
  shownProviders,
  slug,
  sortEntries
} from '../src/model/status';
import { expiryAnnouncement, expiryPhase, formatClock, formatCountdown } from '../src/model/time';
import { providerForFilename } from '../src/model/upload';
import type { ICredentialEntry, ILastRefresh } from '../src/types';
import { API_EXAMPLE, entry, result, status } from './fixtures';

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
    assert.deepEqual(normalizeSettings(null), { warningMinutes: 10, providers: null, notifications: true });
    assert.deepEqual(normalizeSettings({ warningMinutes: 3, providers: ['qcs', 'bogus'], notifications: false }), {
      warningMinutes: 3,
      providers: ['qcs', 'bogus'],
      notifications: false
    });
    assert.equal(normalizeSettings({ warningMinutes: -1 }).warningMinutes, 10);
  });
  it('shows the providers the server manages, with its names', () => {
    const status = {
      version: 1,
      defaults: { ibm: null, qcs: null, ionq: 'default' },
      provider_info: { ionq: { title: 'IonQ', noun: 'key', methods: ['token', 'upload'] } },
      providers: []
    };
    assert.deepEqual(shownProviders(status, null), ['ibm', 'qcs', 'ionq']);
    assert.deepEqual(shownProviders(status, ['ionq', 'bogus']), ['ionq']);
    assert.equal(providerTitle(status, 'ionq'), 'IonQ');
    assert.equal(providerTitle(status, 'other'), 'other');
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
    assert.equal(providerForFilename('.env'), 'ionq');
    assert.equal(providerForFilename('/home/a/.qnx/auth/token.json'), 'nexus');
  });
});

const refused = (at: string): ILastRefresh => ({ at, outcome: 'refused', error: 'Refused: sign in again.' });
const failed = (at: string): ILastRefresh => ({ at, outcome: 'failed', error: 'Provider down.' });
const kinds = (fx: { kind: string }[]): string[] => fx.map(f => f.kind);

describe('alertOf (from the server fields)', () => {
  it('needs_reinit, one signature per refused attempt', () => {
    assert.equal(alertOf(entry('qcs', 'p', 'needs_reinit'))?.kind, 'needs_reinit');
    const a = alertOf(entry('qcs', 'p', 'needs_reinit', { last_refresh: refused('T1') }));
    const b = alertOf(entry('qcs', 'p', 'needs_reinit', { last_refresh: refused('T2') }));
    assert.equal(a?.kind, 'needs_reinit');
    assert.notEqual(a?.signature, b?.signature);
  });
  it('failing from failures >= 2, whatever the state', () => {
    assert.equal(alertOf(entry('ibm', 'a', 'error', { failures: 1 })), null);
    assert.equal(alertOf(entry('ibm', 'a', 'error', { failures: 2 }))?.kind, 'failing');
    assert.equal(alertOf(entry('ibm', 'a', 'ok', { failures: 3 }))?.kind, 'failing');
    assert.equal(alertOf(entry('ibm', 'a', 'expired', { failures: 2 }))?.kind, 'failing');
  });
  it('nothing without the fields (older servers) or after a success', () => {
    assert.equal(alertOf(entry('ibm', 'a', 'error')), null);
    assert.equal(alertOf(entry('ibm', 'a', 'ok', { failures: 0, last_refresh: failed('T1') })), null);
  });
});

describe('NotificationPlanner (notifications from the server fields)', () => {
  it('notifies once when in needs_reinit, even when first seen so', () => {
    const p = new NotificationPlanner();
    const fx = p.update(status([entry('qcs', 'default', 'needs_reinit', { error: 'Log in again.' })]));
    assert.deepEqual(kinds(fx), ['needs_reinit']);
    assert.equal(fx[0].key, 'qcs/default');
    // the same status again (another credential changed, a poll...) -> nothing
    assert.deepEqual(p.update(status([entry('qcs', 'default', 'needs_reinit')])), []);
  });

  it('notifies again for each new refused attempt, not for the refresh in between', () => {
    const p = new NotificationPlanner();
    assert.deepEqual(kinds(p.update(status([entry('qcs', 'p', 'needs_reinit', { last_refresh: refused('T1') })]))), [
      'needs_reinit'
    ]);
    assert.deepEqual(p.update(status([entry('qcs', 'p', 'refreshing', { last_refresh: refused('T1') })])), []);
    assert.deepEqual(p.update(status([entry('qcs', 'p', 'needs_reinit', { last_refresh: refused('T1') })])), []);
    assert.deepEqual(p.update(status([entry('qcs', 'p', 'refreshing', { last_refresh: refused('T1') })])), []);
    assert.deepEqual(kinds(p.update(status([entry('qcs', 'p', 'needs_reinit', { last_refresh: refused('T2') })]))), [
      'needs_reinit'
    ]);
  });

  it('failing once per streak of failures >= 2, resolved by a success', () => {
    const p = new NotificationPlanner();
    assert.deepEqual(p.update(status([entry('qcs', 'p', 'ok', { failures: 0 })])), []);
    assert.deepEqual(p.update(status([entry('qcs', 'p', 'error', { failures: 1, last_refresh: failed('T1') })])), []);
    assert.deepEqual(p.update(status([entry('qcs', 'p', 'refreshing', { failures: 1 })])), []);
    const second = entry('qcs', 'p', 'error', { failures: 2, last_refresh: failed('T2') });
    assert.deepEqual(kinds(p.update(status([second]))), ['failing']);
    // third, fourth failure: no new notification, the one shown is updated with the count the card shows
    const third = p.update(status([entry('qcs', 'p', 'error', { failures: 3, last_refresh: failed('T3') })]));
    assert.deepEqual(
      third.map(f => [f.kind, 'update' in f && f.update, f.entry?.failures]),
      [['failing', true, 3]]
    );
    const fourth = p.update(status([entry('qcs', 'p', 'expired', { failures: 4, last_refresh: failed('T4') })]));
    assert.deepEqual(
      fourth.map(f => [f.kind, 'update' in f && f.update]),
      [['failing', true]]
    );
    assert.deepEqual(p.update(status([entry('qcs', 'p', 'expired', { failures: 4, last_refresh: failed('T4') })])), []);
    assert.deepEqual(kinds(p.update(status([entry('qcs', 'p', 'ok', { failures: 0 })]))), ['resolved']);
    assert.deepEqual(p.update(status([entry('qcs', 'p', 'error', { failures: 1, last_refresh: failed('T5') })])), []);
  });

  it('takes the counts from the server, not from how many snapshots it saw', () => {
    const p = new NotificationPlanner();
    // the first snapshot after a page load already says two failures in a row
    assert.deepEqual(kinds(p.update(status([entry('ibm', 'a', 'error', { failures: 2 })]))), ['failing']);
    // repeated error snapshots without a count never notify
    const q = new NotificationPlanner();
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(q.update(status([entry('ibm', 'a', 'error', { error: `attempt ${i}` })])), []);
    }
  });

  it('failing -> needs_reinit replaces the notification; recovery resolves it', () => {
    const p = new NotificationPlanner();
    p.update(status([entry('qcs', 'p', 'error', { failures: 2 })]));
    assert.deepEqual(kinds(p.update(status([entry('qcs', 'p', 'needs_reinit', { failures: 3 })]))), ['needs_reinit']);
    assert.deepEqual(kinds(p.update(status([entry('qcs', 'p', 'ok', { failures: 0 })]))), ['resolved']);
    assert.deepEqual(p.update(status([entry('qcs', 'p', 'ok', { failures: 0 })])), []);
  });

  it('resolves when a notified credential disappears; ignores absent entries', () => {
    const p = new NotificationPlanner();
    p.update(status([entry('qcs', 'p', 'needs_reinit'), entry('ibm', null, 'absent')]));
    const fx = p.update(status([entry('ibm', null, 'absent')]));
    assert.deepEqual(
      fx.map(f => [f.kind, f.key]),
      [['resolved', 'qcs/p']]
    );
  });

  it('tracks credentials independently', () => {
    const p = new NotificationPlanner();
    const fx = p.update(status([entry('qcs', 'p', 'needs_reinit'), entry('ibm', 'a', 'error', { failures: 2 })]));
    assert.deepEqual(fx.map(f => `${f.kind} ${f.key}`).sort(), ['failing ibm/a', 'needs_reinit qcs/p']);
  });
});

describe('resultToast (answers of the operations)', () => {
  const refreshed = result('ok', 'All credentials refreshed.');
  it('shows the result sentence as a success or an error', () => {
    assert.deepEqual(resultToast(refreshed), { type: 'success', message: 'All credentials refreshed.' });
    const failure = result('failed', 'IBM Quantum legacy: the service answered 503; retrying at 12:00.', [
      { provider: 'ibm', name: 'legacy', outcome: 'failed', error: 'HTTP 503' }
    ]);
    assert.deepEqual(resultToast(failure, { refusalsNotified: true }), { type: 'error', message: failure.message });
  });
  it('warns when what it saved needs action, even though the operation succeeded', () => {
    const saved = { ...result('ok', "Checked and saved. Choose an instance for IBM Quantum account 'x'."), attention: true };
    assert.deepEqual(resultToast(saved), { type: 'warning', message: saved.message });
  });
  it('leaves refusals alone to the needs_reinit notifications of a refresh, unless those are off', () => {
    const refusal = result('refused', 'Rigetti QCS default was refused: sign in again.', [
      { provider: 'qcs', name: 'default', outcome: 'refused', error: 'refused' },
      { provider: 'ibm', name: 'a', outcome: 'ok', error: null }
    ]);
    assert.equal(resultToast(refusal, { refusalsNotified: true }), null);
    assert.deepEqual(resultToast(refusal, { refusalsNotified: false }), { type: 'error', message: refusal.message });
    assert.equal(resultToast(refusal)?.type, 'error');
    assert.equal(resultToast(result('refused', 'Refused.'), { refusalsNotified: true }), null);
  });
  it('a failure next to a refusal is still shown', () => {
    const mixed = result('refused', 'One refused, one failed.', [
      { provider: 'qcs', name: 'default', outcome: 'refused', error: 'refused' },
      { provider: 'ibm', name: 'a', outcome: 'failed', error: 'HTTP 503' }
    ]);
    assert.equal(resultToast(mixed, { refusalsNotified: true })?.type, 'error');
  });
  it('quiet on success when asked, never on failure', () => {
    assert.equal(resultToast(refreshed, { quietSuccess: true }), null);
    assert.equal(resultToast(result('failed', 'Failed.'), { quietSuccess: true })?.type, 'error');
  });
  it("the server's sentence over the fallback; the fallback for older servers (no result)", () => {
    assert.deepEqual(resultToast(refreshed, { fallback: 'Updated.' }), { type: 'success', message: refreshed.message });
    assert.deepEqual(resultToast(undefined, { fallback: 'Updated.' }), { type: 'success', message: 'Updated.' });
    assert.equal(resultToast(null), null);
    assert.equal(resultToast(undefined, { refusalsNotified: true }), null);
  });
});

describe('card lines from the server fields', () => {
  const at = new Date(2026, 10, 22, 9, 5, 7).getTime();
  it('formats clock times', () => {
    assert.equal(formatClock(at), '09:05:07');
  });
  it('"retrying at HH:MM:SS (attempt N)" from retry_at and failures', () => {
    const e: ICredentialEntry = entry('ibm', 'a', 'error', { retry_at: new Date(at).toISOString(), failures: 2 });
    assert.deepEqual(retryInfo(e), { time: '09:05:07', attempt: 3 });
    assert.deepEqual(retryInfo({ ...e, failures: undefined }), { time: '09:05:07', attempt: 1 });
    assert.equal(retryInfo(entry('ibm', 'a', 'error', { retry_at: null })), null);
    assert.equal(retryInfo(entry('ibm', 'a', 'error')), null);
  });
  it('the last refresh: outcome and time', () => {
    const iso = new Date(at).toISOString();
    assert.deepEqual(lastRefreshInfo(entry('qcs', 'p', 'ok', { last_refresh: failed(iso) })), {
      outcome: 'failed',
      words: 'failed',
      time: '09:05:07'
    });
    const ok = entry('qcs', 'p', 'ok', { last_refresh: { at: iso, outcome: 'ok', error: null } });
    assert.equal(lastRefreshInfo(ok)?.words, 'succeeded');
    assert.equal(lastRefreshInfo(entry('qcs', 'p', 'ok')), null);
    assert.equal(lastRefreshInfo(entry('qcs', 'p', 'ok', { last_refresh: null })), null);
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
  it("uses the last refresh's error when the entry has none", () => {
    const e = entry('ibm', 'a', 'error', { last_refresh: failed('T') });
    assert.equal(notificationMessage(e, 'fallback'), 'IBM Quantum a: Provider down.');
  });
});

describe('entryError', () => {
  it("is the entry's error, else its last refresh's", () => {
    assert.equal(entryError(entry('ibm', 'a', 'error', { error: 'Now.' })), 'Now.');
    assert.equal(entryError(entry('ibm', 'a', 'ok', { last_refresh: { at: 'T', outcome: 'failed', error: 'Then.' } })), 'Then.');
    assert.equal(entryError(entry('ibm', 'a', 'ok')), null);
  });
});
