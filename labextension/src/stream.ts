/**
 * Live status: a WebSocket to `qcred/events` (reconnected with backoff) and,
 * while it is down, polling of `GET qcred/status` with backoff.
 *
 * Everything environment-specific (socket factory, fetch, timers, random) is
 * injected, so the state machine is unit-tested in node (test/stream.test.ts).
 */
import { ISignal, Signal } from '@lumino/signaling';
import type { IDisposable } from '@lumino/disposable';
import type { IEventMessage, IStatus } from './api';
import { parseEventMessage } from './model';

/** Exponential backoff: initial, initial*factor, ... capped at max, optional jitter. */
export class Backoff {
  constructor(
    readonly options: {
      initial: number;
      max: number;
      factor?: number;
      /** Fraction of random spread, e.g. 0.2 = ±20 %. */
      jitter?: number;
      random?: () => number;
    }
  ) {}

  /** Number of delays handed out since the last reset. */
  get attempts(): number {
    return this._attempts;
  }

  /** The next delay in ms. */
  next(): number {
    const { initial, max, factor = 2, jitter = 0, random = Math.random } = this.options;
    const base = Math.min(max, initial * Math.pow(factor, this._attempts));
    this._attempts += 1;
    if (!jitter) {
      return base;
    }
    const spread = base * jitter * (2 * random() - 1);
    return Math.max(0, Math.min(max, Math.round(base + spread)));
  }

  reset(): void {
    this._attempts = 0;
  }

  private _attempts = 0;
}

/** What the stream is doing. */
export type ConnectionState =
  | 'connecting' // first attempt, nothing known yet
  | 'live' // socket open: updates are pushed
  | 'polling' // socket unavailable: polling GET status
  | 'offline' // the server cannot be reached (last poll failed)
  | 'stopped';

export interface IStatusUpdate {
  status: IStatus;
  change: IEventMessage['change'];
}

/** The subset of the browser WebSocket the stream needs. */
export interface ISocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface ITimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface IStreamOptions {
  /** URL of the events socket; `null` disables the socket (polling only). */
  url: string | null;
  fetchStatus: () => Promise<IStatus>;
  createSocket?: (url: string) => ISocketLike;
  timers?: ITimers;
  /** Socket reconnect delays; default 1 s doubling to 60 s, ±20 % jitter. */
  socketBackoff?: Backoff;
  /** Poll delays while the socket is down; default 5 s doubling to 60 s. */
  pollBackoff?: Backoff;
}

const defaultTimers: ITimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: h => clearTimeout(h as ReturnType<typeof setTimeout>)
};

export class StatusStream implements IDisposable {
  constructor(options: IStreamOptions) {
    this._url = options.url;
    this._fetch = options.fetchStatus;
    this._createSocket =
      options.createSocket ??
      ((url: string) => new WebSocket(url) as unknown as ISocketLike);
    this._timers = options.timers ?? defaultTimers;
    this.socketBackoff =
      options.socketBackoff ?? new Backoff({ initial: 1000, max: 60000, factor: 2, jitter: 0.2 });
    this.pollBackoff = options.pollBackoff ?? new Backoff({ initial: 5000, max: 60000, factor: 2 });
  }

  readonly socketBackoff: Backoff;
  readonly pollBackoff: Backoff;

  /** Every status received (pushed, polled or fetched on demand). */
  get updated(): ISignal<this, IStatusUpdate> {
    return this._updated;
  }

  get connectionChanged(): ISignal<this, ConnectionState> {
    return this._connectionChanged;
  }

  /** The error of the last failed poll/fetch, or null once one succeeds. */
  get errorChanged(): ISignal<this, unknown> {
    return this._errorChanged;
  }

  get connection(): ConnectionState {
    return this._connection;
  }

  get lastError(): unknown {
    return this._lastError;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Start streaming. Fetches the status once right away as well. */
  start(): void {
    if (this._disposed || this._started) {
      return;
    }
    this._started = true;
    if (this._url) {
      this._openSocket();
    } else {
      this._startPolling();
    }
    // The socket's first message carries the status too, but a fetch makes
    // the panel fill in even if the socket takes long or is unavailable.
    void this.fetchNow();
  }

  /** Fetch the status now (also resets the poll backoff). */
  async fetchNow(): Promise<IStatus | null> {
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
    } catch (err) {
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
  push(status: IStatus, change: IEventMessage['change'] = null): void {
    if (this._disposed) {
      return;
    }
    this._updated.emit({ status, change });
  }

  dispose(): void {
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
      } catch {
        // ignore
      }
    }
    this._setConnection('stopped');
    Signal.clearData(this);
  }

  // ------------------------------------------------------------ socket

  private _openSocket(): void {
    if (this._disposed || !this._url) {
      return;
    }
    let socket: ISocketLike;
    try {
      socket = this._createSocket(this._url);
    } catch {
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
      const msg = parseEventMessage(ev.data);
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

  private _onSocketDown(): void {
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

  private _startPolling(): void {
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

  private _schedulePoll(): void {
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

  private _clearPoll(): void {
    this._polling = false;
    if (this._pollTimer !== null) {
      this._timers.clearTimeout(this._pollTimer);
      this._pollTimer = null;
    }
  }

  private _setConnection(c: ConnectionState): void {
    if (c !== this._connection) {
      this._connection = c;
      this._connectionChanged.emit(c);
    }
  }

  private _setError(err: unknown): void {
    if (err !== this._lastError) {
      this._lastError = err;
      this._errorChanged.emit(err);
    }
  }

  private _url: string | null;
  private _fetch: () => Promise<IStatus>;
  private _createSocket: (url: string) => ISocketLike;
  private _timers: ITimers;
  private _socket: ISocketLike | null = null;
  private _socketOpen = false;
  private _reconnectTimer: unknown = null;
  private _pollTimer: unknown = null;
  private _polling = false;
  private _pollGen = 0;
  private _started = false;
  private _disposed = false;
  private _connection: ConnectionState = 'connecting';
  private _lastError: unknown = null;
  private _updated = new Signal<this, IStatusUpdate>(this);
  private _connectionChanged = new Signal<this, ConnectionState>(this);
  private _errorChanged = new Signal<this, unknown>(this);
}
