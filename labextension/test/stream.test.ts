import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionState, ISocketLike, POLLING, RECONNECT, StatusStream } from '../src/stream';
import type { IStatus } from '../src/types';
import { API_EXAMPLE, flush } from './fixtures';

class FakeSocket implements ISocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.onopen?.({});
  }
  send(status: IStatus, change: unknown = null): void {
    this.onmessage?.({ data: JSON.stringify({ type: 'status', status, change }) });
  }
  drop(): void {
    this.onerror?.({});
    this.onclose?.({});
  }
}

/** Run the (mocked) clock forward, letting the polls' promise chains settle around it. */
async function advance(ms: number): Promise<void> {
  await flush();
  mock.timers.tick(ms);
  await flush();
}

function setup(opts: { url?: string | null; fail?: () => boolean; createSocket?: (url: string) => ISocketLike } = {}) {
  const sockets: FakeSocket[] = [];
  let fetches = 0;
  const stream = new StatusStream({
    url: opts.url === undefined ? 'ws://localhost/qcred/events?token=abc' : opts.url,
    fetchStatus: async () => {
      fetches += 1;
      if (opts.fail?.()) {
        throw new Error('unreachable');
      }
      return API_EXAMPLE;
    },
    createSocket:
      opts.createSocket ??
      (url => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      })
  });
  const conn: ConnectionState[] = [];
  const updates: IStatus[] = [];
  stream.connectionChanged.connect((_, c) => conn.push(c));
  stream.updated.connect((_, s) => updates.push(s));
  const last = () => sockets[sockets.length - 1];
  return { stream, sockets, last, conn, updates, fetches: () => fetches };
}

describe('StatusStream (Poll-based)', () => {
  let random = 0;
  beforeEach(() => {
    random = 0;
    mock.timers.enable({ apis: ['setTimeout'] });
    mock.method(Math, 'random', () => random);
  });
  afterEach(() => {
    mock.timers.reset();
    mock.restoreAll();
  });

  it('uses 1 s reconnects and 5 s polls, both backing off to 60 s', () => {
    const { stream } = setup();
    assert.deepEqual(stream.reconnectPoll.frequency, RECONNECT);
    assert.deepEqual(stream.statusPoll.frequency, POLLING);
    assert.deepEqual(RECONNECT, { interval: 1000, backoff: 2, max: 60000 });
    assert.deepEqual(POLLING, { interval: 5000, backoff: 2, max: 60000 });
    stream.dispose();
  });

  it('fetches once, goes live on open, relays pushed statuses and stops polling', async () => {
    const { stream, sockets, conn, updates, fetches } = setup();
    stream.start();
    await advance(0);
    assert.equal(sockets.length, 1);
    assert.equal(sockets[0].url, 'ws://localhost/qcred/events?token=abc');
    assert.equal(fetches(), 1);
    assert.equal(updates.length, 1);
    sockets[0].open();
    await flush();
    assert.equal(stream.connection, 'live');
    assert.equal(stream.statusPoll.state.phase, 'stopped');
    sockets[0].send(API_EXAMPLE);
    assert.equal(updates.length, 2);
    sockets[0].onmessage?.({ data: 'garbage' });
    sockets[0].onmessage?.({ data: 42 });
    assert.equal(updates.length, 2);
    await advance(10 * 60000);
    assert.equal(fetches(), 1, 'no polling while live');
    assert.equal(sockets.length, 1, 'no reconnect while live');
    assert.deepEqual(conn, ['live']);
    stream.dispose();
    assert.equal(sockets[0].closed, true);
    assert.equal(stream.reconnectPoll.isDisposed, true);
    assert.equal(stream.statusPoll.isDisposed, true);
    assert.equal(stream.connection, 'stopped');
  });

  it('backs off while the socket cannot open, never beyond 60 s', async () => {
    random = 1 - 1e-9; // the largest delay the decorrelated jitter allows
    const { stream, sockets, last } = setup();
    stream.start();
    await advance(0);
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      last().drop();
      await flush();
      assert.equal(stream.reconnectPoll.state.phase, 'rejected');
      const wait = stream.reconnectPoll.state.interval;
      delays.push(wait);
      const before = sockets.length;
      if (wait > 1) {
        await advance(wait - 1);
        assert.equal(sockets.length, before, 'not before the delay');
      }
      await advance(1);
      assert.equal(sockets.length, before + 1, 'a new socket once the delay is over');
    }
    assert.ok(delays.every(d => d >= 1 && d <= 60000), String(delays));
    assert.ok(delays.slice(1).every((d, i) => d >= delays[i]), `growing: ${delays}`);
    assert.equal(delays[delays.length - 1], 60000);
    stream.dispose();
  });

  it('reconnects after the base delay when a socket that worked drops (the backoff starts over)', async () => {
    random = 1 - 1e-9;
    const { stream, sockets, last } = setup();
    stream.start();
    await advance(0);
    for (let i = 0; i < 20; i++) {
      last().drop();
      await flush();
      await advance(stream.reconnectPoll.state.interval);
    }
    assert.equal(stream.reconnectPoll.state.interval, 60000);
    last().open();
    await flush();
    assert.equal(stream.connection, 'live');
    const before = sockets.length;
    last().drop();
    await flush();
    assert.equal(stream.connection, 'polling');
    assert.ok(['resolved', 'reconnected'].includes(stream.reconnectPoll.state.phase));
    assert.equal(stream.reconnectPoll.state.interval, 1000);
    await advance(1000);
    assert.equal(sockets.length, before + 1);
    stream.dispose();
  });

  it('polls GET status every 5 s while the socket is down, and stops once it is back', async () => {
    const { stream, sockets, fetches } = setup();
    stream.start();
    await advance(0);
    sockets[0].open();
    await flush();
    const before = fetches();
    sockets[0].drop(); // a connection that worked: reconnect in 1 s, poll at once
    await advance(0);
    assert.equal(stream.connection, 'polling');
    assert.equal(fetches(), before + 1, 'an immediate fetch when the socket drops');
    await advance(1000);
    sockets[1].drop(); // the server does not take sockets any more
    for (let i = 1; i <= 3; i++) {
      await advance(5000);
      assert.equal(fetches(), before + 1 + i);
      assert.equal(stream.statusPoll.state.interval, 5000);
    }
    sockets[sockets.length - 1].open();
    await flush();
    const live = fetches();
    await advance(60000);
    assert.equal(fetches(), live);
    stream.dispose();
  });

  it('reports offline while fetches fail, backing off, and recovers', async () => {
    random = 1 - 1e-9;
    let failing = true;
    const { stream, conn, fetches } = setup({ url: null, fail: () => failing });
    const errors: unknown[] = [];
    stream.errorChanged.connect((_, e) => errors.push(e));
    stream.start();
    await advance(0);
    assert.equal(stream.connection, 'offline');
    assert.ok(stream.lastError instanceof Error);
    const waits: number[] = [];
    for (let i = 0; i < 16; i++) {
      assert.equal(stream.statusPoll.state.phase, 'rejected');
      waits.push(stream.statusPoll.state.interval);
      await advance(stream.statusPoll.state.interval);
    }
    assert.ok(waits.every(w => w <= 60000));
    assert.equal(waits[waits.length - 1], 60000);
    assert.equal(stream.connection, 'offline');
    failing = false;
    const before = fetches();
    await advance(60000);
    assert.equal(fetches(), before + 1);
    assert.equal(stream.connection, 'polling');
    assert.equal(stream.lastError, null);
    assert.equal(stream.statusPoll.state.interval, 5000, 'back to the base interval');
    assert.deepEqual(conn, ['polling', 'offline', 'polling']);
    assert.equal(errors[errors.length - 1], null);
    stream.dispose();
  });

  it('fetchNow ticks the status poll at once while polling, and fetches directly while live', async () => {
    let failing = true;
    const { stream, sockets, fetches } = setup({ fail: () => failing });
    stream.start();
    await advance(0);
    sockets[0].drop();
    await flush();
    assert.equal(stream.connection, 'offline');
    failing = false;
    const before = fetches();
    const fetched = stream.fetchNow();
    await advance(0);
    await fetched;
    assert.equal(fetches(), before + 1);
    assert.equal(stream.connection, 'polling');
    assert.equal(stream.statusPoll.state.interval, 5000);
    await advance(stream.reconnectPoll.state.interval);
    sockets[sockets.length - 1].open();
    await flush();
    const live = fetches();
    await stream.fetchNow();
    assert.equal(fetches(), live + 1);
    assert.equal(stream.statusPoll.state.phase, 'stopped', 'a fetch while live does not restart polling');
    stream.dispose();
  });

  it('treats a socket constructor that throws as unavailable', async () => {
    const { stream, fetches } = setup({
      createSocket: () => {
        throw new Error('blocked');
      }
    });
    stream.start();
    await advance(0);
    assert.equal(stream.connection, 'polling');
    assert.equal(stream.reconnectPoll.state.phase, 'rejected');
    assert.ok(fetches() >= 1);
    stream.dispose();
  });

  it('push feeds statuses from elsewhere; nothing after dispose', () => {
    const { stream, updates } = setup();
    stream.push(API_EXAMPLE);
    assert.equal(updates.length, 1);
    stream.dispose();
    stream.push(API_EXAMPLE);
    assert.equal(updates.length, 1);
  });
});
