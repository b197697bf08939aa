/**
 * Live status: a WebSocket to `qcred/events`, reconnected by a `Poll` with
 * backoff, and while it is down a second `Poll` of `GET qcred/status`.
 */
import type { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { parseEventMessage } from './model/status';
import type { IStatus } from './types';

/** What the stream is doing. */
export type ConnectionState =
  | 'connecting' // first attempt, nothing known yet
  | 'live' // socket open: updates are pushed
  | 'polling' // socket unavailable: polling GET status
  | 'offline' // the server cannot be reached (last fetch failed)
  | 'stopped';

/** The subset of the browser WebSocket the stream needs. */
export interface ISocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface IStreamOptions {
  /** URL of the events socket; `null` disables the socket (polling only). */
  url: string | null;
  fetchStatus: () => Promise<IStatus>;
  createSocket?: (url: string) => ISocketLike;
}

/** Socket reconnects: 1 s after a connection that worked, else backing off to 60 s. */
export const RECONNECT: IPoll.Frequency = { interval: 1000, backoff: 2, max: 60000 };
/** `GET status` while the socket is down: every 5 s, backing off to 60 s while it fails. */
export const POLLING: IPoll.Frequency = { interval: 5000, backoff: 2, max: 60000 };

/** Raised for a socket that closed before it opened (the reconnect poll backs off). */
class SocketUnavailable extends Error {}

export class StatusStream implements IDisposable {
  constructor(options: IStreamOptions) {
    this._url = options.url;
    this._fetch = options.fetchStatus;
    this._createSocket = options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as ISocketLike);
    this._reconnectPoll = new Poll<void, unknown>({
      name: 'jupyter-qcred:events',
      auto: false,
      factory: () => this._connect(),
      frequency: RECONNECT,
      standby: 'when-hidden'
    });
    this._statusPoll = new Poll<IStatus, unknown>({
      name: 'jupyter-qcred:status',
      auto: false,
      factory: () => this._fetchStatus(),
      frequency: POLLING,
      standby: 'when-hidden'
    });
  }

  /** Opens the socket; its factory settles when the socket closes: resolved if it had opened, rejected if not. */
  get reconnectPoll(): IPoll<void, unknown, 'standby'> {
    return this._reconnectPoll;
  }

  /** `GET status` while the socket is down; its first tick is the initial fetch. */
  get statusPoll(): IPoll<IStatus, unknown, 'standby'> {
    return this._statusPoll;
  }

  /** Every status received (pushed, polled, fetched on demand or fed by `push`). */
  get updated(): ISignal<this, IStatus> {
    return this._updated;
  }

  get connectionChanged(): ISignal<this, ConnectionState> {
    return this._connectionChanged;
  }

  /** The error of the last failed fetch, or null once one succeeds or the socket opens. */
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

  start(): void {
    if (this._disposed || this._started) {
      return;
    }
    this._started = true;
    if (this._url) {
      void this._reconnectPoll.start();
    } else {
      this._setConnection('polling');
    }
    void this._statusPoll.start();
  }

  /** Fetch the status now; while polling, this ticks the poll (which resets its backoff on success). */
  async fetchNow(): Promise<void> {
    if (this._socketOpen || !this._started) {
      await this._fetchStatus().catch(() => undefined);
      return;
    }
    await this._statusPoll.refresh();
    await this._statusPoll.tick.catch(() => undefined);
  }

  /** Feed a status obtained elsewhere (e.g. the answer of a POST). */
  push(status: IStatus): void {
    if (!this._disposed) {
      this._updated.emit(status);
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._reconnectPoll.dispose();
    this._statusPoll.dispose();
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close();
    }
    this._setConnection('stopped');
    Signal.clearData(this);
  }

  private _connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let socket: ISocketLike;
      try {
        socket = this._createSocket(this._url as string);
      } catch (err) {
        this._socketDown();
        reject(err);
        return;
      }
      let opened = false;
      this._socket = socket;
      socket.onopen = () => {
        opened = true;
        this._socketOpen = true;
        void this._statusPoll.stop();
        this._setError(null);
        this._setConnection('live');
      };
      socket.onmessage = ev => {
        const msg = typeof ev.data === 'string' ? parseEventMessage(ev.data) : null;
        if (msg) {
          this.push(msg.status);
        }
      };
      socket.onclose = () => {
        this._socket = null;
        this._socketDown();
        if (opened) {
          resolve();
        } else {
          reject(new SocketUnavailable(`${this._url} did not open`));
        }
      };
    });
  }

  private _socketDown(): void {
    this._socketOpen = false;
    if (this._connection !== 'offline') {
      this._setConnection('polling');
    }
    void this._statusPoll.start();
  }

  private async _fetchStatus(): Promise<IStatus> {
    try {
      const status = await this._fetch();
      if (!this._disposed) {
        this._setError(null);
        this.push(status);
        if (this._connection === 'offline') {
          this._setConnection(this._socketOpen ? 'live' : 'polling');
        }
      }
      return status;
    } catch (err) {
      if (!this._disposed) {
        this._setError(err);
        if (!this._socketOpen) {
          this._setConnection('offline');
        }
      }
      throw err;
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

  private _reconnectPoll: Poll<void, unknown>;
  private _statusPoll: Poll<IStatus, unknown>;
  private _url: string | null;
  private _fetch: () => Promise<IStatus>;
  private _createSocket: (url: string) => ISocketLike;
  private _socket: ISocketLike | null = null;
  private _socketOpen = false;
  private _started = false;
  private _disposed = false;
  private _connection: ConnectionState = 'connecting';
  private _lastError: unknown = null;
  private _updated = new Signal<this, IStatus>(this);
  private _connectionChanged = new Signal<this, ConnectionState>(this);
  private _errorChanged = new Signal<this, unknown>(this);
}
