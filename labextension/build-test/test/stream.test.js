"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
const node_test_1 = require("node:test");
const strict_1 = __importDefault(require("node:assert/strict"));
const stream_1 = require("../src/stream");
const fixtures_1 = require("./fixtures");
(0, node_test_1.describe)('Backoff', () => {
    (0, node_test_1.it)('doubles from initial up to max', () => {
        const b = new stream_1.Backoff({ initial: 5000, max: 60000 });
        strict_1.default.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.next()), [5000, 10000, 20000, 40000, 60000, 60000]);
        strict_1.default.equal(b.attempts, 6);
        b.reset();
        strict_1.default.equal(b.next(), 5000);
    });
    (0, node_test_1.it)('jitters within bounds and never above max', () => {
        let r = 0;
        const b = new stream_1.Backoff({ initial: 1000, max: 4000, jitter: 0.2, random: () => r });
        strict_1.default.equal(b.next(), 800); // -20 %
        r = 1;
        strict_1.default.equal(b.next(), 2400); // +20 %
        r = 1;
        strict_1.default.equal(b.next(), 4000); // capped
        strict_1.default.equal(b.next(), 4000);
    });
});
/** Manual clock: timers fire only when the test says so. */
class FakeTimers {
    constructor() {
        this.now = 0;
        this.seq = 0;
        this.pending = new Map();
    }
    setTimeout(fn, ms) {
        const id = ++this.seq;
        this.pending.set(id, { at: this.now + ms, fn, ms });
        return id;
    }
    clearTimeout(h) {
        this.pending.delete(h);
    }
    delays() {
        return [...this.pending.values()].map(p => p.ms).sort((a, b) => a - b);
    }
    /** Advance to the next timer and run it. */
    async tick() {
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
class FakeSocket {
    constructor(url) {
        this.url = url;
        this.onopen = null;
        this.onmessage = null;
        this.onclose = null;
        this.onerror = null;
        this.closed = false;
    }
    close() {
        this.closed = true;
    }
    open() {
        this.onopen?.({});
    }
    send(status, change = null) {
        this.onmessage?.({ data: JSON.stringify({ type: 'status', status, change }) });
    }
    drop() {
        this.onerror?.({});
        this.onclose?.({});
    }
}
const flush = () => new Promise(resolve => setImmediate(resolve));
function setup(opts = {}) {
    const timers = new FakeTimers();
    const sockets = [];
    let fetches = 0;
    const stream = new stream_1.StatusStream({
        url: opts.url === undefined ? 'ws://localhost/qcred/events?token=abc' : opts.url,
        fetchStatus: async () => {
            fetches += 1;
            if (opts.fail?.()) {
                throw new Error('unreachable');
            }
            return fixtures_1.API_EXAMPLE;
        },
        createSocket: url => {
            const s = new FakeSocket(url);
            sockets.push(s);
            return s;
        },
        timers,
        socketBackoff: new stream_1.Backoff({ initial: 1000, max: 60000 })
    });
    const conn = [];
    const updates = [];
    stream.connectionChanged.connect((_, c) => conn.push(c));
    stream.updated.connect((_, u) => updates.push(u.status));
    return { stream, timers, sockets, conn, updates, fetches: () => fetches };
}
(0, node_test_1.describe)('StatusStream', () => {
    (0, node_test_1.it)('goes live on open and relays pushed statuses', async () => {
        const { stream, sockets, conn, updates, timers } = setup();
        stream.start();
        await flush();
        strict_1.default.equal(sockets.length, 1);
        strict_1.default.equal(sockets[0].url, 'ws://localhost/qcred/events?token=abc');
        strict_1.default.equal(updates.length, 1); // the initial fetch
        sockets[0].open();
        strict_1.default.equal(stream.connection, 'live');
        sockets[0].send(fixtures_1.API_EXAMPLE);
        strict_1.default.equal(updates.length, 2);
        sockets[0].onmessage?.({ data: 'garbage' });
        strict_1.default.equal(updates.length, 2);
        strict_1.default.deepEqual(conn, ['live']);
        strict_1.default.deepEqual(timers.delays(), []); // no polling while live
        stream.dispose();
        strict_1.default.equal(sockets[0].closed, true);
    });
    (0, node_test_1.it)('falls back to polling with 5 s doubling to 60 s and reconnects with backoff', async () => {
        const { stream, sockets, timers, fetches } = setup();
        stream.start();
        await flush();
        sockets[0].drop(); // never opened: endpoint unavailable
        strict_1.default.equal(stream.connection, 'polling');
        // one reconnect timer (1 s) and one poll timer (5 s)
        strict_1.default.deepEqual(timers.delays(), [1000, 5000]);
        strict_1.default.equal(await timers.tick(), 1000);
        strict_1.default.equal(sockets.length, 2);
        sockets[1].drop();
        strict_1.default.deepEqual(timers.delays(), [2000, 5000]);
        // run timers until we have seen the poll sequence
        const polls = [];
        const reconnects = [];
        while (polls.length < 6) {
            const before = sockets.length;
            const ms = await timers.tick();
            if (sockets.length > before) {
                reconnects.push(ms);
                sockets[sockets.length - 1].drop();
            }
            else {
                polls.push(ms);
            }
        }
        strict_1.default.deepEqual(polls, [5000, 10000, 20000, 40000, 60000, 60000]);
        strict_1.default.deepEqual(reconnects.slice(0, 5), [2000, 4000, 8000, 16000, 32000]);
        strict_1.default.ok(reconnects.every(ms => ms <= 60000));
        strict_1.default.equal(fetches(), 1 + polls.length);
        stream.dispose();
        strict_1.default.deepEqual(timers.delays(), []);
    });
    (0, node_test_1.it)('stops polling once the socket is back and resets both backoffs', async () => {
        const { stream, sockets, timers } = setup();
        stream.start();
        await flush();
        sockets[0].open();
        sockets[0].drop();
        strict_1.default.deepEqual(timers.delays(), [1000, 5000]);
        await timers.tick(); // reconnect
        sockets[1].open();
        strict_1.default.equal(stream.connection, 'live');
        strict_1.default.deepEqual(timers.delays(), []); // poll timer cleared
        sockets[1].drop();
        strict_1.default.deepEqual(timers.delays(), [1000, 5000]); // backoffs start over
        stream.dispose();
    });
    (0, node_test_1.it)('reports offline when polls fail and recovers', async () => {
        let failing = true;
        const { stream, timers, conn } = setup({ url: null, fail: () => failing });
        const errors = [];
        stream.errorChanged.connect((_, e) => errors.push(e));
        stream.start();
        await flush();
        strict_1.default.equal(stream.connection, 'offline');
        strict_1.default.ok(stream.lastError instanceof Error);
        await timers.tick();
        strict_1.default.equal(stream.connection, 'offline');
        failing = false;
        await timers.tick();
        strict_1.default.equal(stream.connection, 'polling');
        strict_1.default.equal(stream.lastError, null);
        strict_1.default.deepEqual(conn, ['polling', 'offline', 'polling']);
        strict_1.default.equal(errors.filter(e => e instanceof Error).length, 2); // one per failed poll
        strict_1.default.equal(errors[errors.length - 1], null);
        stream.dispose();
        strict_1.default.equal(stream.connection, 'stopped');
    });
    (0, node_test_1.it)('treats a socket constructor that throws as unavailable', async () => {
        const timers = new FakeTimers();
        const stream = new stream_1.StatusStream({
            url: 'ws://x/qcred/events',
            fetchStatus: async () => fixtures_1.API_EXAMPLE,
            createSocket: () => {
                throw new Error('blocked');
            },
            timers,
            socketBackoff: new stream_1.Backoff({ initial: 1000, max: 60000 })
        });
        stream.start();
        await flush();
        strict_1.default.equal(stream.connection, 'polling');
        strict_1.default.deepEqual(timers.delays(), [1000, 5000]);
        stream.dispose();
    });
});
