"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const node_test_1 = require("node:test");
const strict_1 = __importDefault(require("node:assert/strict"));
const model_1 = require("../src/model");
const fixtures_1 = require("./fixtures");
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
(0, node_test_1.describe)('formatCountdown', () => {
    (0, node_test_1.it)('shows mm:ss under an hour', () => {
        strict_1.default.equal((0, model_1.formatCountdown)(59 * MIN + 58 * S), '59:58');
        strict_1.default.equal((0, model_1.formatCountdown)(59 * MIN + 58 * S + 999), '59:58');
        strict_1.default.equal((0, model_1.formatCountdown)(5 * MIN + 3 * S), '05:03');
        strict_1.default.equal((0, model_1.formatCountdown)(0), '00:00');
        strict_1.default.equal((0, model_1.formatCountdown)(999), '00:00');
    });
    (0, node_test_1.it)('shows hours and minutes under a day', () => {
        strict_1.default.equal((0, model_1.formatCountdown)(H), '1 h 00 min');
        strict_1.default.equal((0, model_1.formatCountdown)(H + 2 * MIN + 59 * S), '1 h 02 min');
        strict_1.default.equal((0, model_1.formatCountdown)(23 * H + 59 * MIN), '23 h 59 min');
    });
    (0, node_test_1.it)('shows days and hours beyond', () => {
        strict_1.default.equal((0, model_1.formatCountdown)(24 * H), '1 d 00 h');
        strict_1.default.equal((0, model_1.formatCountdown)(13 * 24 * H + 4 * H + 30 * MIN), '13 d 04 h');
    });
    (0, node_test_1.it)('says how long ago it expired', () => {
        strict_1.default.equal((0, model_1.formatCountdown)(-1), 'expired just now');
        strict_1.default.equal((0, model_1.formatCountdown)(-59 * S), 'expired just now');
        strict_1.default.equal((0, model_1.formatCountdown)(-3 * MIN - 10 * S), 'expired 3 min ago');
        strict_1.default.equal((0, model_1.formatCountdown)(-2 * H - 5 * MIN), 'expired 2 h ago');
        strict_1.default.equal((0, model_1.formatCountdown)(-5 * 24 * H), 'expired 5 d ago');
    });
    (0, node_test_1.it)('is empty for non-finite input', () => {
        strict_1.default.equal((0, model_1.formatCountdown)(NaN), '');
    });
});
(0, node_test_1.describe)('expiry phase (throttled live region)', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    (0, node_test_1.it)('classifies', () => {
        strict_1.default.equal((0, model_1.expiryPhase)(null, now, 10), 'unknown');
        strict_1.default.equal((0, model_1.expiryPhase)(now + 11 * MIN, now, 10), 'valid');
        strict_1.default.equal((0, model_1.expiryPhase)(now + 10 * MIN, now, 10), 'soon');
        strict_1.default.equal((0, model_1.expiryPhase)(now, now, 10), 'expired');
    });
    (0, node_test_1.it)('announces only per phase, never the seconds', () => {
        const a = (0, model_1.expiryAnnouncement)((0, model_1.expiryPhase)(now + 30 * MIN, now, 10), 'Rigetti QCS default');
        const b = (0, model_1.expiryAnnouncement)((0, model_1.expiryPhase)(now + 30 * MIN, now + S, 10), 'Rigetti QCS default');
        strict_1.default.equal(a, b);
        strict_1.default.match(a, /valid/);
        strict_1.default.match((0, model_1.expiryAnnouncement)('expired', 'X'), /expired/);
        strict_1.default.equal((0, model_1.expiryAnnouncement)('unknown', 'X'), '');
    });
});
(0, node_test_1.describe)('badges', () => {
    (0, node_test_1.it)('has text for every state (not colour alone)', () => {
        for (const s of ['ok', 'expiring', 'refreshing', 'expired', 'needs_reinit', 'error', 'absent']) {
            const b = (0, model_1.stateBadge)(s);
            strict_1.default.ok(b.text.length > 0);
            strict_1.default.match(b.className, /^jp-qcred-badge--/);
            strict_1.default.ok(b.description.length > 0);
        }
        strict_1.default.equal((0, model_1.stateBadge)('needs_reinit').text, 'Action needed');
        strict_1.default.equal((0, model_1.stateBadge)('ok').className, 'jp-qcred-badge--ok');
        strict_1.default.equal((0, model_1.stateBadge)('weird').text, 'weird');
    });
    (0, node_test_1.it)('refresh token health', () => {
        strict_1.default.equal((0, model_1.refreshTokenBadge)('ok').text, 'healthy');
        strict_1.default.equal((0, model_1.refreshTokenBadge)(null).text, 'unknown');
        strict_1.default.equal((0, model_1.refreshTokenBadge)('refused').className, 'jp-qcred-badge--error');
    });
});
(0, node_test_1.describe)('overallHealth', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    const opts = { now, warningMinutes: 10, providers: ['ibm', 'qcs'] };
    (0, node_test_1.it)('loading / offline without status', () => {
        strict_1.default.equal((0, model_1.overallHealth)(null, opts), 'loading');
        strict_1.default.equal((0, model_1.overallHealth)(null, { ...opts, unreachable: true }), 'offline');
        strict_1.default.equal((0, model_1.overallHealth)(fixtures_1.API_EXAMPLE, { ...opts, unreachable: true }), 'offline');
    });
    (0, node_test_1.it)('none when only absent entries', () => {
        strict_1.default.equal((0, model_1.overallHealth)((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', null, 'absent'), (0, fixtures_1.entry)('qcs', null, 'absent')]), opts), 'none');
    });
    (0, node_test_1.it)('ok for the api.md example', () => {
        strict_1.default.equal((0, model_1.overallHealth)(fixtures_1.API_EXAMPLE, opts), 'ok');
    });
    (0, node_test_1.it)('expiring by state or by time', () => {
        strict_1.default.equal((0, model_1.overallHealth)((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'a', 'expiring')]), opts), 'expiring');
        const soon = new Date(now + 5 * MIN).toISOString();
        strict_1.default.equal((0, model_1.overallHealth)((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'a', 'ok', { expires_at: soon })]), opts), 'expiring');
        strict_1.default.equal((0, model_1.overallHealth)((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'a', 'ok', { expires_at: soon })]), { ...opts, warningMinutes: 2 }), 'ok');
    });
    (0, node_test_1.it)('action wins over expiring', () => {
        for (const s of ['needs_reinit', 'expired', 'error']) {
            strict_1.default.equal((0, model_1.overallHealth)((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'a', 'expiring'), (0, fixtures_1.entry)('ibm', 'b', s)]), opts), 'action');
        }
    });
    (0, node_test_1.it)('ignores hidden providers', () => {
        const st = (0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'a', 'ok'), (0, fixtures_1.entry)('ibm', 'b', 'needs_reinit')]);
        strict_1.default.equal((0, model_1.overallHealth)(st, { ...opts, providers: ['qcs'] }), 'ok');
        strict_1.default.equal((0, model_1.overallHealth)(st, { ...opts, providers: [] }), 'none');
    });
});
(0, node_test_1.describe)('sorting and lookup', () => {
    (0, node_test_1.it)('default first, then name, absent last', () => {
        const sorted = (0, model_1.sortEntries)([
            (0, fixtures_1.entry)('ibm', null, 'absent'),
            (0, fixtures_1.entry)('ibm', 'zeta', 'ok'),
            (0, fixtures_1.entry)('ibm', 'alpha', 'error'),
            (0, fixtures_1.entry)('ibm', 'mid', 'ok', { default: true })
        ]);
        strict_1.default.deepEqual(sorted.map(e => e.name), ['mid', 'alpha', 'zeta', null]);
    });
    (0, node_test_1.it)('accounts, defaults and legacy detection on the api.md example', () => {
        strict_1.default.deepEqual((0, model_1.accountsOf)(fixtures_1.API_EXAMPLE, 'ibm').map(e => e.name), ['default-ibm-quantum-platform', 'legacy']);
        strict_1.default.equal((0, model_1.entriesOf)(fixtures_1.API_EXAMPLE, 'qcs').length, 1);
        strict_1.default.equal((0, model_1.defaultName)(fixtures_1.API_EXAMPLE, 'ibm'), 'default-ibm-quantum-platform');
        strict_1.default.equal((0, model_1.defaultName)((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'ok', { default: true })]), 'qcs'), 'p');
        strict_1.default.equal((0, model_1.defaultName)(null, 'qcs'), null);
        strict_1.default.equal((0, model_1.isLegacyIbm)(fixtures_1.API_EXAMPLE.providers[2]), true);
        strict_1.default.equal((0, model_1.isLegacyIbm)(fixtures_1.API_EXAMPLE.providers[1]), false);
    });
    (0, node_test_1.it)('slug makes safe test ids', () => {
        strict_1.default.equal((0, model_1.slug)('default-ibm-quantum-platform'), 'default-ibm-quantum-platform');
        strict_1.default.equal((0, model_1.slug)('a b/c'), 'a_b_c');
        strict_1.default.equal((0, model_1.slug)(null), 'none');
    });
});
(0, node_test_1.describe)('settings and parsing', () => {
    (0, node_test_1.it)('normalizes settings', () => {
        strict_1.default.deepEqual((0, model_1.normalizeSettings)(null), { warningMinutes: 10, providers: ['ibm', 'qcs'], notifications: true });
        strict_1.default.deepEqual((0, model_1.normalizeSettings)({ warningMinutes: 3, providers: ['qcs', 'bogus'], notifications: false }), {
            warningMinutes: 3,
            providers: ['qcs'],
            notifications: false
        });
        strict_1.default.equal((0, model_1.normalizeSettings)({ warningMinutes: -1 }).warningMinutes, 10);
    });
    (0, node_test_1.it)('parses socket messages', () => {
        const m = (0, model_1.parseEventMessage)(JSON.stringify({ type: 'status', status: fixtures_1.API_EXAMPLE, change: { provider: 'qcs', name: 'default', state: 'ok', previous: 'refreshing' } }));
        strict_1.default.ok(m);
        strict_1.default.equal(m.status.providers.length, 3);
        strict_1.default.equal(m.change?.previous, 'refreshing');
        strict_1.default.equal((0, model_1.parseEventMessage)(JSON.stringify(fixtures_1.API_EXAMPLE))?.change, null);
        strict_1.default.equal((0, model_1.parseEventMessage)('not json'), null);
        strict_1.default.equal((0, model_1.parseEventMessage)('{"type":"other"}'), null);
    });
    (0, node_test_1.it)('guesses the provider of an uploaded file', () => {
        strict_1.default.equal((0, model_1.providerForFilename)('secrets.toml'), 'qcs');
        strict_1.default.equal((0, model_1.providerForFilename)('settings.toml'), 'qcs');
        strict_1.default.equal((0, model_1.providerForFilename)('qiskit-ibm.json'), 'ibm');
        strict_1.default.equal((0, model_1.providerForFilename)('/home/a/.qiskit/qiskitrc'), 'ibm');
        strict_1.default.equal((0, model_1.providerForFilename)('notes.txt'), null);
    });
});
(0, node_test_1.describe)('TransitionTracker (notifications)', () => {
    (0, node_test_1.it)('notifies once when entering needs_reinit, even when first seen so', () => {
        const t = new model_1.TransitionTracker();
        const fx1 = t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'default', 'needs_reinit', { error: 'Log in again.' })]));
        strict_1.default.deepEqual(fx1.map(f => f.kind), ['needs_reinit']);
        strict_1.default.equal(fx1[0].key, 'qcs/default');
        // the same state again (other credential changed, poll...) -> nothing
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'default', 'needs_reinit')])), []);
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'default', 'needs_reinit')])), []);
    });
    (0, node_test_1.it)('ok -> needs_reinit -> ok -> needs_reinit: one per transition, resolved in between', () => {
        const t = new model_1.TransitionTracker();
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', 'a', 'ok')])), []);
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', 'a', 'needs_reinit')])).map(f => f.kind), ['needs_reinit']);
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', 'a', 'ok')])).map(f => f.kind), ['resolved']);
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', 'a', 'ok')])), []);
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', 'a', 'needs_reinit')])).map(f => f.kind), ['needs_reinit']);
    });
    (0, node_test_1.it)('a single error does not notify; the second failure in a row does, once', () => {
        const t = new model_1.TransitionTracker();
        t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'ok')]));
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'error', { error: 'Provider down.', next_refresh_at: 'T1' })])), []);
        // the same error message repeated (another credential changed) is not a new failure
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'error', { error: 'Provider down.', next_refresh_at: 'T1' })])), []);
        // a retry in between
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'refreshing')])), []);
        const fx = t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'error', { error: 'Provider down.', next_refresh_at: 'T2' })]));
        strict_1.default.deepEqual(fx.map(f => f.kind), ['failing']);
        // third, fourth failure: no spam
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'refreshing')])), []);
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'error', { next_refresh_at: 'T3' })])), []);
        // recovery resolves it and resets the streak
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'ok')])).map(f => f.kind), ['resolved']);
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'error', { next_refresh_at: 'T4' })])), []);
    });
    (0, node_test_1.it)('counts pushed error->error changes as new attempts', () => {
        const t = new model_1.TransitionTracker();
        const st = (0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'error', { error: 'x' })]);
        strict_1.default.deepEqual(t.update(st, { provider: 'qcs', name: 'p', state: 'error', previous: 'ok' }), []);
        const fx = t.update(st, { provider: 'qcs', name: 'p', state: 'error', previous: 'error' });
        strict_1.default.deepEqual(fx.map(f => f.kind), ['failing']);
    });
    (0, node_test_1.it)('success resets the streak: error, ok, error does not notify', () => {
        const t = new model_1.TransitionTracker();
        t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', 'a', 'error', { next_refresh_at: '1' })]));
        t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', 'a', 'ok')]));
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', 'a', 'error', { next_refresh_at: '2' })])), []);
    });
    (0, node_test_1.it)('expired keeps the streak and does not resolve', () => {
        const t = new model_1.TransitionTracker();
        t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', 'a', 'error', { next_refresh_at: '1' })]));
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', 'a', 'expired')])), []);
        strict_1.default.deepEqual(t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', 'a', 'error', { next_refresh_at: '2' })])).map(f => f.kind), [
            'failing'
        ]);
    });
    (0, node_test_1.it)('resolves when a notified credential disappears; ignores absent entries', () => {
        const t = new model_1.TransitionTracker();
        t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'needs_reinit'), (0, fixtures_1.entry)('ibm', null, 'absent')]));
        const fx = t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('ibm', null, 'absent')]));
        strict_1.default.deepEqual(fx.map(f => [f.kind, f.key]), [['resolved', 'qcs/p']]);
    });
    (0, node_test_1.it)('tracks credentials independently', () => {
        const t = new model_1.TransitionTracker();
        const fx = t.update((0, fixtures_1.status)([(0, fixtures_1.entry)('qcs', 'p', 'needs_reinit'), (0, fixtures_1.entry)('ibm', 'a', 'needs_reinit')]));
        strict_1.default.deepEqual(fx.map(f => f.key).sort(), ['ibm/a', 'qcs/p']);
    });
});
