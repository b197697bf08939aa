import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isRecentRestart,
  restartTarget,
  RESTART_FLAG_MAX_AGE_MS,
  serverState,
  spawnUrlWithNext,
  STOP_DEADLINE_MS,
  waitForStop,
  xsrfFromHubPage
} from '../src/model/restart';
import type { HubServerState } from '../src/model/restart';
import type { IHubInfo } from '../src/types';

const HUB: IHubInfo = {
  available: true,
  user: 'alice',
  server_name: 'gpu',
  spawn_url: '/base/hub/spawn/alice/gpu',
  can_restart: true,
  can_reinitialize: true
};

describe('restartTarget', () => {
  it('takes the restart answer first', () => {
    const t = restartTarget(
      { stopping: true, spawn_url: '/hub/spawn/bob', hub_url: '/hub/', user: 'bob', server_name: '' },
      HUB
    );
    assert.deepEqual(t, { hubUrl: '/hub/', user: 'bob', serverName: '', spawnUrl: '/hub/spawn/bob' });
  });
  it('falls back on the status when the answer never arrived, the hub found from the spawn url', () => {
    assert.deepEqual(restartTarget(null, HUB), {
      hubUrl: '/base/hub/',
      user: 'alice',
      serverName: 'gpu',
      spawnUrl: '/base/hub/spawn/alice/gpu'
    });
    assert.equal(restartTarget(null, HUB, '/other/hub')?.hubUrl, '/other/hub/');
  });
  it('is null outside a hub', () => {
    assert.equal(restartTarget(null, { ...HUB, user: null, spawn_url: null }), null);
    assert.equal(restartTarget(null, null), null);
  });
});

describe('serverState', () => {
  it('reads the hub user model', () => {
    const model = (s: object | undefined) => ({ name: 'alice', servers: s === undefined ? {} : { gpu: s } });
    assert.equal(serverState(model({ ready: true, pending: null }), 'gpu'), 'running');
    assert.equal(serverState(model({ ready: false, pending: 'stop' }), 'gpu'), 'stopping');
    assert.equal(serverState(model({ ready: false, pending: 'spawn' }), 'gpu'), 'starting');
    assert.equal(serverState(model({ ready: false, pending: null, stopped: true }), 'gpu'), 'stopped');
    assert.equal(serverState(model(undefined), 'gpu'), 'stopped');
    assert.equal(serverState(model({ ready: true, pending: null }), ''), 'stopped');
  });
  it('is null when the hub hides the servers', () => {
    assert.equal(serverState({ name: 'alice' }, ''), null);
    assert.equal(serverState(null, ''), null);
  });
});

describe('xsrfFromHubPage', () => {
  it("finds the token of the hub page's scripts", () => {
    const html = '<script>window.jhdata = {\n  base_url: "/hub/",\n  xsrf_token: "2|ab:cd|ef",\n};</script>';
    assert.equal(xsrfFromHubPage(html), '2|ab:cd|ef');
    assert.equal(xsrfFromHubPage('<html>login</html>'), null);
  });
});

describe('spawnUrlWithNext', () => {
  it('comes back to this JupyterLab', () => {
    assert.equal(
      spawnUrlWithNext('/hub/spawn/alice', '/user/alice/lab'),
      '/hub/spawn/alice?next=%2Fuser%2Falice%2Flab'
    );
    assert.equal(spawnUrlWithNext('/hub/spawn/a?x=1', '/user/a/lab'), '/hub/spawn/a?x=1&next=%2Fuser%2Fa%2Flab');
  });
});

describe('isRecentRestart', () => {
  it('accepts only a recent flag', () => {
    const now = 1_000_000_000;
    assert.equal(isRecentRestart(String(now - 5000), now), true);
    assert.equal(isRecentRestart(String(now - RESTART_FLAG_MAX_AGE_MS - 1), now), false);
    assert.equal(isRecentRestart(null, now), false);
    assert.equal(isRecentRestart('garbage', now), false);
    assert.equal(isRecentRestart(String(now + 60_000), now), false);
  });
});

/** A fake clock: `sleep` advances it, so the deadline is reached without waiting. */
function clock(): { now: () => number; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async ms => {
      slept.push(ms);
      t += ms;
    },
    slept
  };
}

function states(...sequence: HubServerState[]): () => Promise<HubServerState> {
  let i = 0;
  return async () => sequence[Math.min(i++, sequence.length - 1)];
}

describe('waitForStop', () => {
  it('waits while the hub is still stopping, then goes on', async () => {
    const c = clock();
    const waited = await waitForStop({
      state: states('running', 'stopping', 'stopping', 'stopped'),
      refusal: () => null,
      ...c
    });
    assert.deepEqual(waited, { kind: 'stopped' });
    assert.equal(c.slept.length, 3, 'asked the hub four times, one second apart');
  });
  it('goes on when the server is already starting again', async () => {
    assert.deepEqual(await waitForStop({ state: states('starting'), refusal: () => null, ...clock() }), {
      kind: 'stopped'
    });
  });
  it("says the hub's refusal while the server still runs", async () => {
    const waited = await waitForStop({
      state: states('running'),
      refusal: () => 'JupyterHub refused the request to stop this server (HTTP 403).',
      ...clock()
    });
    assert.deepEqual(waited, {
      kind: 'refused',
      message: 'JupyterHub refused the request to stop this server (HTTP 403).'
    });
  });
  it('gives up at the deadline', async () => {
    const c = clock();
    const waited = await waitForStop({ state: states('stopping'), refusal: () => null, ...c });
    assert.deepEqual(waited, { kind: 'timeout' });
    assert.ok(c.now() > STOP_DEADLINE_MS && c.now() <= STOP_DEADLINE_MS + 2000, String(c.now()));
  });
  it('says when the hub cannot be asked', async () => {
    const waited = await waitForStop({
      state: async () => {
        throw new Error('JupyterHub answered 403 Forbidden');
      },
      refusal: () => null,
      ...clock()
    });
    assert.equal(waited.kind, 'unreachable');
  });
});
