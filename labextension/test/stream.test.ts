import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IStatus } from '../src/api';
import { Backoff, ConnectionState, ISocketLike, ITimers, StatusStream } from '../src/stream';
import { API_EXAMPLE } from './fixtures';

describe('Backoff', () => {
  it('doubles from initial up to max', () => {
    const b = new Backoff({ initial: 5000, max: 60000 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map(() => b.next()),
      [5000, 10000, 20000, 40000, 60000, 60000]
    );
    assert.equal(b.attempts, 6);
    b.reset();
    assert.equal(b.next(), 5000);
  });
  it('jitters within bounds and never above max', () => {
    let r = 0;
    const b = new Backoff({ initial: 1000, max: 4000, jitter: 0.2, random: () => r });
    assert.equal(b.next(), 800); // -20 %
    r = 1;
    assert.equal(b.next(), 2400); // +20 %
    r = 1;
    assert.equal(b.next(), 4000); // capped
    assert.equal(b.next(), 4000);
  });
});

/** Manual clock: timers fire only when the test says so. */
class FakeTimers implements ITimers {
  now = 0;
  private seq = 0;
  pending = new Map<number, { at: number; fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.now + ms, fn, ms });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  delays(): number[] {
    return [...this.pending.values()].map(p => p.ms).sort((a, b) => a - b);
  }
  /** Advance to the next timer and run it. */
  async tick(): Promise<number> {
    const next = [...this.pending.entries()].sort((a, b) => a[1].at - b[1].at)[0];
    if (!next) {
      throw new Error('no timer pending');
    }
    this.pending.delete(next[0]);
    this.now = next[1].at;
    next[1].fn();
    await flush();
    return next[1].ms;
  }
}

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

const flush = () => new Promise<void>(resolve => setImmediate(resolve));

function setup(opts: { url?: string | null; fail?: () => boolean } = {}) {
  const timers = new FakeTimers();
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
    createSocket: url => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    timers,
    socketBackoff: new Backoff({ initial: 1000, max: 60000 })
  });
  const conn: ConnectionState[] = [];
  const updates: IStatus[] = [];
  stream.connectionChanged.connect((_, c) => conn.push(c));
  stream.updated.connect((_, u) => updates.push(u.status));
  return { stream, timers, sockets, conn, updates, fetches: () => fetches };
}

describe('StatusStream', () => {
  it('goes live on open and relays pushed statuses', async () => {
    const { stream, sockets, conn, updates, timers } = setup();
    stream.start();
    await flush();
    assert.equal(sockets.length, 1);
    assert.equal(sockets[0].url, 'ws://localhost/qcred/events?token=abc');
    assert.equal(updates.length, 1); // the initial fetch
    sockets[0].open();
    assert.equal(stream.connection, 'live');
    sockets[0].send(API_EXAMPLE);
    assert.equal(updates.length, 2);
    sockets[0].onmessage?.({ data: 'garbage' });
    assert.equal(updates.length, 2);
    assert.deepEqual(conn, ['live']);
    assert.deepEqual(timers.delays(), []); // no polling while live
    stream.dispose();
    assert.equal(sockets[0].closed, true);
  });

  it('falls back to polling with 5 s doubling to 60 s and reconnects with backoff', async () => {
    const { stream, sockets, timers, fetches } = setup();
    stream.start();
    await flush();
    sockets[0].drop(); // never opened: endpoint unavailable
    assert.equal(stream.connection, 'polling');
    // one reconnect timer (1 s) and one poll timer (5 s)
    assert.deepEqual(timers.delays(), [1000, 5000]);
    assert.equal(await timers.tick(), 1000);
    assert.equal(sockets.length, 2);
    sockets[1].drop();
    assert.deepEqual(timers.delays(), [2000, 5000]);
    // run timers until we have seen the poll sequence
    const polls: number[] = [];
    const reconnects: number[] = [];
    while (polls.length < 6) {
      const before = sockets.length;
      const ms = await timers.tick();
      if (sockets.length > before) {
        reconnects.push(ms);
        sockets[sockets.length - 1].drop();
      } else {
        polls.push(ms);
      }
    }
    assert.deepEqual(polls, [5000, 10000, 20000, 40000, 60000, 60000]);
    assert.deepEqual(reconnects.slice(0, 5), [2000, 4000, 8000, 16000, 32000]);
    assert.ok(reconnects.every(ms => ms <= 60000));
    assert.equal(fetches(), 1 + polls.length);
    stream.dispose();
    assert.deepEqual(timers.delays(), []);
  });

  it('stops polling once the socket is back and resets both backoffs', async () => {
    const { stream, sockets, timers } = setup();
    stream.start();
    await flush();
    sockets[0].open();
    sockets[0].drop();
    assert.deepEqual(timers.delays(), [1000, 5000]);
    await timers.tick(); // reconnect
    sockets[1].open();
    assert.equal(stream.connection, 'live');
    assert.deepEqual(timers.delays(), []); // poll timer cleared
    sockets[1].drop();
    assert.deepEqual(timers.delays(), [1000, 5000]); // backoffs start over
    stream.dispose();
  });

  it('reports offline when polls fail and recovers', async () => {
    let failing = true;
    const { stream, timers, conn } = setup({ url: null, fail: () => failing });
    const errors: unknown[] = [];
    stream.errorChanged.connect((_, e) => errors.push(e));
    stream.start();
    await flush();
    assert.equal(stream.connection, 'offline');
    assert.ok(stream.lastError instanceof Error);
    await timers.tick();
    assert.equal(stream.connection, 'offline');
    failing = false;
    await timers.tick();
    assert.equal(stream.connection, 'polling');
    assert.equal(stream.lastError, null);
    assert.deepEqual(conn, ['polling', 'offline', 'polling']);
    assert.equal(errors.filter(e => e instanceof Error).length, 2); // one per failed poll
    assert.equal(errors[errors.length - 1], null);
    stream.dispose();
    assert.equal(stream.connection, 'stopped');
  });

  it('treats a socket constructor that throws as unavailable', async () => {
    const timers = new FakeTimers();
    const stream = new StatusStream({
      url: 'ws://x/qcred/events',
      fetchStatus: async () => API_EXAMPLE,
      createSocket: () => {
        throw new Error('blocked');
      },
      timers,
      socketBackoff: new Backoff({ initial: 1000, max: 60000 })
    });
    stream.start();
    await flush();
    assert.equal(stream.connection, 'polling');
    assert.deepEqual(timers.delays(), [1000, 5000]);
    stream.dispose();
  });
});
