import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { QcredStore } from '../src/store';
import { StatusStream } from '../src/stream';
import type { BusyKind } from '../src/store';
import { fakeClient, ISeen, json } from './fake-client';
import { API_EXAMPLE, entry, flush, result, status } from './fixtures';

function makeStore(answer: (seen: ISeen) => Response | Promise<Response>) {
  const { client, seen } = fakeClient(answer);
  const stream = new StatusStream({ url: null, fetchStatus: () => client.getStatus() });
  const store = new QcredStore({ client, stream });
  const busy: BusyKind[][] = [];
  store.stateChanged.connect(() => busy.push([...store.busy]));
  return { store, seen, busy };
}

const failedRefresh = {
  ...status([entry('qcs', 'default', 'error', { error: 'Rigetti QCS answered 503; retrying.', failures: 1 })]),
  result: result('failed', 'Rigetti QCS default could not be refreshed: the service answered 503.', [
    { provider: 'qcs', name: 'default', outcome: 'failed', error: 'HTTP 503' }
  ])
};

describe('QcredStore', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it("applies an operation's answer at once: a failed refresh leaves the card in error", async () => {
    const { store, busy } = makeStore(() => json(failedRefresh));
    store.stream.push(status([entry('qcs', 'default', 'ok')]));
    const answer = await store.refresh({ provider: 'qcs', name: 'default' });
    assert.equal(answer.result?.outcome, 'failed');
    assert.equal(store.status?.providers[0].state, 'error');
    assert.equal(store.health(), 'action');
    assert.deepEqual(busy.slice(-2), [['refresh'], []]);
    store.dispose();
  });

  it('an unreachable server during an operation is a load error (offline) and rethrown', async () => {
    const { store } = makeStore(() => {
      throw new TypeError('Failed to fetch');
    });
    await assert.rejects(store.refresh(), /Failed to fetch/);
    assert.match(store.loadError ?? '', /cannot be reached/);
    assert.equal(store.health(), 'offline');
    assert.equal(store.busy.size, 0);
    store.dispose();
  });

  it('an error answer is rethrown without making the panel offline', async () => {
    const { store } = makeStore(() => json({ message: 'Unknown provider.' }, 400));
    store.stream.push(API_EXAMPLE);
    await assert.rejects(store.refresh(), /Unknown provider/);
    assert.equal(store.loadError, null);
    store.dispose();
  });

  it('follows the stream: load errors while unreachable, cleared by the next status', async () => {
    let up = false;
    const { store } = makeStore(() => {
      if (!up) {
        throw new TypeError('Failed to fetch');
      }
      return json(API_EXAMPLE);
    });
    store.start();
    await flush();
    mock.timers.tick(0);
    await flush();
    assert.equal(store.connection, 'offline');
    assert.equal(store.health(), 'offline');
    up = true;
    const fetched = store.fetchNow();
    await flush();
    mock.timers.tick(0);
    await fetched;
    assert.equal(store.loadError, null);
    assert.equal(store.connection, 'polling');
    assert.equal(store.health(Date.parse('2026-11-22T12:00:00Z')), 'ok');
    assert.equal(store.canRestart, true);
    assert.equal(store.canReinitializeFromHub, true);
    store.dispose();
  });

  it('a device login answer fetches the status to follow the login', async () => {
    const { store, seen } = makeStore(s =>
      new URL(s.url).pathname.endsWith('/reinitialize')
        ? json({ login: { id: 'k3j2', provider: 'qcs', state: 'pending' } })
        : json(API_EXAMPLE)
    );
    const answer = await store.reinitialize({ source: 'device', provider: 'qcs' });
    assert.ok('login' in answer);
    await flush();
    assert.deepEqual(
      seen.map(s => new URL(s.url).pathname),
      ['/lab-base/qcred/reinitialize', '/lab-base/qcred/status']
    );
    assert.equal(store.status?.providers.length, 3);
    store.dispose();
  });

  it('has no hub actions without a hub', () => {
    const { store } = makeStore(() => json(API_EXAMPLE));
    const hub = { available: false, can_restart: true, can_reinitialize: true };
    store.stream.push(status([entry('ibm', 'a', 'ok')], { hub }));
    assert.equal(store.canRestart, false);
    assert.equal(store.canReinitializeFromHub, false);
    store.dispose();
  });
});
