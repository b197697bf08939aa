"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.StatusStream = exports.Backoff = void 0;
/**
 * Live status: a WebSocket to `qcred/events` (reconnected with backoff) and,
 * while it is down, polling of `GET qcred/status` with backoff.
 *
 * Everything environment-specific (socket factory, fetch, timers, random) is
 * injected, so the state machine is unit-tested in node (test/stream.test.ts).
 */
const signaling_1 = require("@lumino/signaling");
const model_1 = require("./model");
/** Exponential backoff: initial, initial*factor, ... capped at max, optional jitter. */
class Backoff {
    constructor(options) {
        this.options = options;
        this._attempts = 0;
    }
    /** Number of delays handed out since the last reset. */
    get attempts() {
        return this._attempts;
    }
    /** The next delay in ms. */
    next() {
        const { initial, max, factor = 2, jitter = 0, random = Math.random } = this.options;
        const base = Math.min(max, initial * Math.pow(factor, this._attempts));
        this._attempts += 1;
        if (!jitter) {
            return base;
        }
        const spread = base * jitter * (2 * random() - 1);
        return Math.max(0, Math.min(max, Math.round(base + spread)));
    }
    reset() {
        this._attempts = 0;
    }
}
exports.Backoff = Backoff;
const defaultTimers = {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: h => clearTimeout(h)
};
class StatusStream {
    constructor(options) {
        this._socket = null;
        this._socketOpen = false;
        this._reconnectTimer = null;
        this._pollTimer = null;
        this._polling = false;
        this._pollGen = 0;
        this._started = false;
        this._disposed = false;
        this._connection = 'connecting';
        this._lastError = null;
        this._updated = new signaling_1.Signal(this);
        this._connectionChanged = new signaling_1.Signal(this);
        this._errorChanged = new signaling_1.Signal(this);
        this._url = options.url;
        this._fetch = options.fetchStatus;
        this._createSocket =
            options.createSocket ??
                ((url) => new WebSocket(url));
        this._timers = options.timers ?? defaultTimers;
        this.socketBackoff =
            options.socketBackoff ?? new Backoff({ initial: 1000, max: 60000, factor: 2, jitter: 0.2 });
        this.pollBackoff = options.pollBackoff ?? new Backoff({ initial: 5000, max: 60000, factor: 2 });
    }
    /** Every status received (pushed, polled or fetched on demand). */
    get updated() {
        return this._updated;
    }
    get connectionChanged() {
        return this._connectionChanged;
    }
    /** The error of the last failed poll/fetch, or null once one succeeds. */
    get errorChanged() {
        return this._errorChanged;
    }
    get connection() {
        return this._connection;
    }
    get lastError() {
        return this._lastError;
    }
    get isDisposed() {
        return this._disposed;
    }
    /** Start streaming. Fetches the status once right away as well. */
    start() {
        if (this._disposed || this._started) {
            return;
        }
        this._started = true;
        if (this._url) {
            this._openSocket();
        }
        else {
            this._startPolling();
        }
        // The socket's first message carries the status too, but a fetch makes
        // the panel fill in even if the socket takes long or is unavailable.
        void this.fetchNow();
    }
    /** Fetch the status now (also resets the poll backoff). */
    async fetchNow() {
        try {
            const status = await this._fetch();
            if (this._disposed) {
                return null;
            }
            this._setError(null);
            this.push(status, null);
            if (this._connection === 'offline') {
                this._setConnection(this._socketOpen ? 'live' : 'polling');
            }
            return status;
        }
        catch (err) {
            if (!this._disposed) {
                this._setError(err);
                if (!this._socketOpen) {
                    this._setConnection('offline');
                }
            }
            return null;
        }
    }
    /** Feed a status obtained elsewhere (e.g. the answer of a POST). */
    push(status, change = null) {
        if (this._disposed) {
            return;
        }
        this._updated.emit({ status, change });
    }
    dispose() {
        if (this._disposed) {
            return;
        }
        this._disposed = true;
        this._clearPoll();
        if (this._reconnectTimer !== null) {
            this._timers.clearTimeout(this._reconnectTimer);
            this._reconnectTimer = null;
        }
        if (this._socket) {
            const s = this._socket;
            this._socket = null;
            s.onopen = s.onmessage = s.onclose = s.onerror = null;
            try {
                s.close();
            }
            catch {
                // ignore
            }
        }
        this._setConnection('stopped');
        signaling_1.Signal.clearData(this);
    }
    // ------------------------------------------------------------ socket
    _openSocket() {
        if (this._disposed || !this._url) {
            return;
        }
        let socket;
        try {
            socket = this._createSocket(this._url);
        }
        catch {
            this._onSocketDown();
            return;
        }
        this._socket = socket;
        socket.onopen = () => {
            if (this._socket !== socket) {
                return;
            }
            this._socketOpen = true;
            this.socketBackoff.reset();
            this._clearPoll();
            this._setError(null);
            this._setConnection('live');
        };
        socket.onmessage = ev => {
            if (this._socket !== socket || typeof ev.data !== 'string') {
                return;
            }
            const msg = (0, model_1.parseEventMessage)(ev.data);
            if (msg) {
                this.push(msg.status, msg.change);
            }
        };
        socket.onerror = () => {
            // `close` follows; nothing to do here.
        };
        socket.onclose = () => {
            if (this._socket !== socket) {
                return;
            }
            this._socket = null;
            this._socketOpen = false;
            this._onSocketDown();
        };
    }
    _onSocketDown() {
        if (this._disposed) {
            return;
        }
        const delay = this.socketBackoff.next();
        this._reconnectTimer = this._timers.setTimeout(() => {
            this._reconnectTimer = null;
            this._openSocket();
        }, delay);
        this._startPolling();
    }
    // ------------------------------------------------------------ polling
    _startPolling() {
        if (this._disposed || this._pollTimer !== null || this._polling) {
            return;
        }
        this._polling = true;
        this._pollGen += 1;
        this.pollBackoff.reset();
        if (this._connection !== 'offline') {
            this._setConnection('polling');
        }
        this._schedulePoll();
    }
    _schedulePoll() {
        if (this._disposed || !this._polling) {
            return;
        }
        const gen = this._pollGen;
        const delay = this.pollBackoff.next();
        this._pollTimer = this._timers.setTimeout(async () => {
            this._pollTimer = null;
            if (!this._polling || gen !== this._pollGen) {
                return;
            }
            await this.fetchNow();
            if (gen === this._pollGen) {
                this._schedulePoll();
            }
        }, delay);
    }
    _clearPoll() {
        this._polling = false;
        if (this._pollTimer !== null) {
            this._timers.clearTimeout(this._pollTimer);
            this._pollTimer = null;
        }
    }
    _setConnection(c) {
        if (c !== this._connection) {
            this._connection = c;
            this._connectionChanged.emit(c);
        }
    }
    _setError(err) {
        if (err !== this._lastError) {
            this._lastError = err;
            this._errorChanged.emit(err);
        }
    }
}
exports.StatusStream = StatusStream;
