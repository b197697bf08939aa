/**
 * The one observable state shared by the panel, the status bar item, the
 * notifications and the dialogs; and the server actions that change it.
 */
import { VDomModel } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import {
  DefaultBody,
  errorText,
  ILogin,
  IRestartAnswer,
  isLoginAnswer,
  IStatus,
  QcredClient,
  QcredError,
  RefreshBody,
  ReinitializeBody
} from './api';
import { DEFAULT_SETTINGS, Health, ISettings, overallHealth } from './model';
import { ConnectionState, IStatusUpdate, StatusStream } from './stream';

export type BusyKind = 'refresh' | 'reinitialize' | 'restart' | 'default' | 'login';

export class QcredStore extends VDomModel {
  constructor(options: { client: QcredClient; stream?: StatusStream; useSocket?: boolean }) {
    super();
    this.client = options.client;
    this.stream =
      options.stream ??
      new StatusStream({
        url: options.useSocket === false ? null : this.client.eventsUrl(),
        fetchStatus: () => this.client.getStatus()
      });
    this.stream.updated.connect(this._onUpdate, this);
    this.stream.connectionChanged.connect(this._onConnection, this);
    this.stream.errorChanged.connect(this._onError, this);
  }

  readonly client: QcredClient;
  readonly stream: StatusStream;

  start(): void {
    this.stream.start();
  }

  /** Every status received, with the change that caused it (if pushed). */
  get updated(): ISignal<this, IStatusUpdate> {
    return this._updated;
  }

  get status(): IStatus | null {
    return this._status;
  }

  get connection(): ConnectionState {
    return this._connection;
  }

  /** A sentence when the server cannot be reached, else null. */
  get loadError(): string | null {
    return this._loadError;
  }

  get settings(): ISettings {
    return this._settings;
  }

  set settings(value: ISettings) {
    this._settings = value;
    this.stateChanged.emit();
  }

  /** The action currently running, if any (buttons disable themselves). */
  get busy(): ReadonlySet<BusyKind> {
    return this._busy;
  }

  health(now = Date.now()): Health {
    return overallHealth(this._status, {
      now,
      warningMinutes: this._settings.warningMinutes,
      providers: this._settings.providers,
      unreachable: this._loadError !== null && (this._status === null || this._connection === 'offline')
    });
  }

  get canRestart(): boolean {
    return !!this._status?.hub?.available && !!this._status?.hub?.can_restart;
  }

  get canReinitializeFromHub(): boolean {
    return !!this._status?.hub?.available && !!this._status?.hub?.can_reinitialize;
  }

  // ------------------------------------------------------------ actions

  refresh(body: RefreshBody = {}): Promise<IStatus> {
    return this._run('refresh', () => this.client.refresh(body));
  }

  reinitialize(body: ReinitializeBody): Promise<IStatus | { login: ILogin }> {
    return this._run(body.source === 'device' ? 'login' : 'reinitialize', () =>
      this.client.reinitialize(body)
    );
  }

  setDefault(body: DefaultBody): Promise<IStatus> {
    return this._run('default', () => this.client.setDefault(body));
  }

  restart(): Promise<IRestartAnswer> {
    return this._run('restart', () => this.client.restart());
  }

  /** Fetch the status now (the panel's retry when unreachable). */
  fetchNow(): Promise<IStatus | null> {
    return this.stream.fetchNow();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.stream.dispose();
    Signal.clearData(this);
    super.dispose();
  }

  private async _run<T>(kind: BusyKind, fn: () => Promise<T>): Promise<T> {
    this._busy.add(kind);
    this.stateChanged.emit();
    try {
      const answer = await fn();
      if (answer && typeof answer === 'object' && Array.isArray((answer as unknown as IStatus).providers)) {
        this.stream.push(answer as unknown as IStatus, null);
      } else if (isLoginAnswer(answer)) {
        // The login's progress arrives through the status; fetch it now.
        void this.stream.fetchNow();
      }
      return answer;
    } catch (err) {
      if (err instanceof QcredError && err.unreachable) {
        this._loadError = err.message;
      }
      throw err;
    } finally {
      this._busy.delete(kind);
      this.stateChanged.emit();
    }
  }

  private _onUpdate(_: StatusStream, update: IStatusUpdate): void {
    this._status = update.status;
    this._loadError = null;
    this._updated.emit(update);
    this.stateChanged.emit();
  }

  private _onConnection(_: StatusStream, c: ConnectionState): void {
    this._connection = c;
    this.stateChanged.emit();
  }

  private _onError(_: StatusStream, err: unknown): void {
    if (err === null) {
      this._loadError = null;
    } else if (err instanceof QcredError) {
      this._loadError = err.message;
    } else {
      this._loadError = errorText(err);
    }
    this.stateChanged.emit();
  }

  private _status: IStatus | null = null;
  private _connection: ConnectionState = 'connecting';
  private _loadError: string | null = null;
  private _settings: ISettings = DEFAULT_SETTINGS;
  private _busy = new Set<BusyKind>();
  private _updated = new Signal<this, IStatusUpdate>(this);
}
