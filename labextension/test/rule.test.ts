import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { entryBadge } from '../src/model/badges';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { actionNeeded, HEALTH_LABELS, overallHealth } from '../src/model/health';
import {
  ago,
  answeredFromEarlier,
  calmFailure,
  notTriedMessage,
  redactionNotes,
  retryingSentence,
  timeLeft,
  warningsOf
} from '../src/model/notes';
import { resultToast } from '../src/model/notifications';
import type { CredentialState, ICredentialEntry, IOperationAnswer } from '../src/types';
import { entry, result, status } from './fixtures';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const MIN = 60000;
const opts = { now: NOW, warningMinutes: 10, providers: null };
const iso = (ms: number): string => new Date(ms).toISOString();

describe('the one rule of "action needed" (the server says, the views read)', () => {
  it('the status bar says action needed exactly when an entry says so', () => {
    // The demo's legacy account: unsupported, and the server marks it as needing a person.
    const legacy = entry('ibm', 'legacy', 'unsupported', { error: 'unsupported', action_needed: true });
    const fine = entry('ibm', 'default', 'ok', { action_needed: false });
    assert.equal(overallHealth(status([fine, legacy]), opts), 'action');
    assert.equal(overallHealth(status([fine]), opts), 'ok');
  });
  it('a refresh retrying with 59 minutes left is calm: OK in the status bar, a calm badge on the card', () => {
    const e = entry('ibm', 'default', 'error', {
      retrying: true,
      action_needed: false,
      failures: 6,
      expires_at: iso(NOW + 59 * MIN + 30000),
      error: 'IBM Cloud IAM answered HTTP 500.'
    });
    assert.equal(actionNeeded(e), false);
    assert.equal(overallHealth(status([e]), opts), 'ok');
    const badge = entryBadge(e);
    assert.equal(badge.text, 'Retrying');
    assert.ok(!badge.className.includes('error'));
    assert.equal(retryingSentence(e, NOW), 'Retrying; the token is valid for 59 min.');
    assert.equal(retryingSentence({ ...e, expires_at: iso(NOW - MIN) }, NOW), null);
    // The toast of the Refresh that met the 500: a warning with the same sentence, not a red error.
    const answer: IOperationAnswer = {
      ...status([e]),
      result: { ...result('failed', 'IBM Quantum: IBM Cloud IAM failed (HTTP 500).'), credentials: [
        { provider: 'ibm', name: 'default', outcome: 'failed', error: 'HTTP 500' }
      ] }
    };
    const calm = calmFailure(answer, NOW);
    assert.equal(calm, 'Retrying; the token is valid for 59 min.');
    assert.deepEqual(resultToast(answer.result, { calm }), {
      type: 'warning',
      message: 'IBM Quantum: IBM Cloud IAM failed (HTTP 500). Retrying; the token is valid for 59 min.'
    });
    assert.equal(calmFailure({ ...answer, providers: [{ ...e, retrying: false }] }, NOW), null);
  });
  it('older servers without the field: by state, unsupported included', () => {
    for (const s of ['needs_reinit', 'expired', 'error', 'unsupported'] as const) {
      assert.equal(actionNeeded(entry('qcs', 'a', s)), true, s);
    }
    for (const s of ['ok', 'expiring', 'refreshing'] as const) {
      assert.equal(actionNeeded(entry('qcs', 'a', s)), false, s);
    }
  });
  it("the server's verdict wins over the state", () => {
    assert.equal(actionNeeded(entry('qcs', 'a', 'error', { action_needed: false })), false);
    assert.equal(actionNeeded(entry('qcs', 'a', 'ok', { action_needed: true })), true);
  });
});

describe('card notes', () => {
  it('warnings, tolerating their absence', () => {
    assert.deepEqual(warningsOf(entry('ibm', 'a', 'ok')), []);
    assert.deepEqual(warningsOf(entry('ibm', 'a', 'ok', { warnings: ['chmod 600 it.', ''] })), ['chmod 600 it.']);
  });
  it('redactions: the newest three with a count, tolerating a status without them', () => {
    assert.deepEqual(redactionNotes(status([]), 'ibm', NOW), { notes: [], more: 0, total: 0 });
    const r = (where: string, minutes: number, count = 1): Record<string, unknown> => ({
      name: 'default',
      where,
      what: 'output',
      at: iso(NOW - minutes * MIN),
      count
    });
    const st = status([], {
      redactions: { ibm: [r('a.ipynb', 9), r('analysis.ipynb', 2), r('b.ipynb', 30, 2), r('c.ipynb', 5)] }
    } as never);
    const { notes, more, total } = redactionNotes(st, 'ibm', NOW);
    assert.deepEqual(
      notes.map(n => `${n.text} · ${n.when}`),
      ['1 key kept out of analysis.ipynb · 2 min ago', '1 key kept out of c.ipynb · 5 min ago', '1 key kept out of a.ipynb · 9 min ago']
    );
    assert.equal(more, 1);
    assert.equal(total, 4);
  });
  it('ages and time left in words', () => {
    assert.equal(ago(20000), 'just now');
    assert.equal(ago(2 * MIN), '2 min ago');
    assert.equal(ago(3 * 60 * MIN), '3 h ago');
    assert.equal(timeLeft(59 * MIN + 59000), '59 min');
    assert.equal(timeLeft(125 * MIN), '2 h 05 min');
  });
});

describe('a Refresh answered from an earlier one says so plainly', () => {
  const answer = (lastAt: number, outcome: 'ok' | 'failed' = 'ok'): IOperationAnswer => ({
    ...status([entry('qcs', 'default', 'ok', { last_refresh: { outcome, at: iso(lastAt), error: null } })]),
    generated_at: iso(NOW),
    result: { ...result('ok', 'Refreshed.'), credentials: [{ provider: 'qcs', name: 'default', outcome, error: null }] }
  });
  it('an attempt 7 s before the request is not this request', () => {
    const earlier = answer(NOW - 7000);
    assert.equal(answeredFromEarlier(earlier, 200), true);
    const message = notTriedMessage(earlier);
    assert.match(message, /^Not refreshed again: the last refresh, 7 s ago, succeeded;/);
    assert.ok(message.length < 140, message);
    const toast = resultToast(earlier.result, { notTried: message });
    assert.equal(toast?.type, 'info');
  });
  it('an attempt made during the request is this request', () => {
    assert.equal(answeredFromEarlier(answer(NOW - 300), 400), false);
    assert.equal(resultToast(answer(NOW - 300).result)?.type, 'success');
  });
});

describe("docs/api.md's table (generated from the Python rule) is what the panel shows", () => {
  const api = readFileSync(resolve(__dirname, '../../../docs/api.md'), 'utf8');
  const section = api.split('## Action needed: one rule, every view')[1].split('\n## ')[0];
  const rows = section
    .split('\n')
    .filter(l => /^\| `[a-z_]+( \(retrying[^`]*\))?` \|/.test(l))
    .map(l => l.split('|').slice(1, -1).map(c => c.trim()));
  it('has a row per state, and the calm retrying one', () => {
    assert.equal(rows.length, 9);
  });
  for (const [stateCell, needed, badgeText, statusbar] of rows) {
    it(`${stateCell}: ${badgeText} / ${statusbar}`, () => {
      const retrying = stateCell.includes('retrying');
      const state = stateCell.replace(/`/g, '').split(' ')[0] as CredentialState;
      const e: ICredentialEntry = entry('ibm', state === 'absent' ? null : 'x', state, {
        action_needed: needed === 'yes',
        retrying,
        expires_at: retrying ? iso(NOW + 59 * MIN) : null
      });
      assert.equal(entryBadge(e).text, badgeText);
      assert.equal(HEALTH_LABELS[overallHealth(status([e]), opts)], statusbar.split(' (')[0]);
      // The older servers' fallback agrees with the rule for every plain state.
      if (!retrying) {
        assert.equal(actionNeeded({ ...e, action_needed: undefined }), needed === 'yes');
      }
    });
  }
});
