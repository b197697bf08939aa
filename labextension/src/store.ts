/**
 * The one observable state shared by the panel, the status bar item, the
 * notifications and the dialogs; and the server operations that change it.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import { errorMessage, isLoginAnswer, isStatus, isUnreachable, QcredClient } from './client';
import { browserStorage, FoldMemory, IChoiceStorage, IFoldChoice } from './model/fold';
import { Health, overallHealth } from './model/health';
import { DEFAULT_SETTINGS, ISettings } from './model/settings';
import { ConnectionState, StatusStream } from './stream';
import type * as api from './types';

export type BusyKind = 'refresh' | 'reinitialize' | 'restart' | 'default' | 'login' | 'remove';

export class QcredStore implements IDisposable {
  constructor(options: { client: QcredClient; stream?: StatusStream; storage?: IChoiceStorage | null }) {
    this.client = options.client;
    this.folds = new FoldMemory(options.storage === undefined ? browserStorage() : options.storage);
    this.stream =
      options.stream ??
      new StatusStream({ url: this.client.eventsUrl(), fetchStatus: () => this.client.getStatus() });
    this.stream.updated.connect(this._onUpdate, this);
    this.stream.connectionChanged.connect(this._onConnection, this);
    this.stream.errorChanged.connect(this._onError, this);
  }

  readonly client: QcredClient;
  readonly stream: StatusStream;
  /** A person's open/close of each card, kept across reloads (model/fold.ts). */
  readonly folds: FoldMemory;

  /** A person opened or closed a card: remember it, show it. */
  setFold(provider: api.ProviderId, choice: IFoldChoice): void {
    this.folds.set(provider, choice);
    this._stateChanged.emit();
  }

  /** Anything shown changed (what `VDomRenderer` listens to). */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Every status received. */
  get updated(): ISignal<this, api.IStatus> {
    return this._updated;
  }

  get status(): api.IStatus | null {
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
    this._stateChanged.emit();
  }

  /** The operations running (buttons disable themselves). */
  get busy(): ReadonlySet<BusyKind> {
    return this._busy;
  }

  get canRestart(): boolean {
    return !!this._status?.hub?.available && !!this._status.hub.can_restart;
  }

  get canReinitializeFromHub(): boolean {
    return !!this._status?.hub?.available && !!this._status.hub.can_reinitialize;
  }

  /** The doctor's answer for the folder open in the file browser (null: none yet, or no file browser). */
  get folder(): api.IDoctorAnswer | null {
    return this._folder;
  }

  /** Set by the file-browser tracking (plugins/sidebar.ts), shown as warnings on the cards. */
  set folder(answer: api.IDoctorAnswer | null) {
    this._folder = answer;
    this._stateChanged.emit();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  health(now = Date.now()): Health {
    return overallHealth(this._status, {
      now,
      warningMinutes: this._settings.warningMinutes,
      providers: this._settings.providers,
      unreachable: this._loadError !== null && (this._status === null || this._connection === 'offline')
    });
  }

  start(): void {
    this.stream.start();
  }

  refresh(body: api.IRefreshBody = {}): Promise<api.IOperationAnswer> {
    return this._run('refresh', () => this.client.refresh(body));
  }

  reinitialize(body: api.ReinitializeBody): Promise<api.IOperationAnswer | api.ILoginAnswer> {
    return this._run(body.source === 'device' ? 'login' : 'reinitialize', () => this.client.reinitialize(body));
  }

  setDefault(body: api.DefaultBody): Promise<api.IOperationAnswer> {
    return this._run('default', () => this.client.setDefault(body));
  }

  remove(body: api.IRemoveBody): Promise<api.IOperationAnswer> {
    return this._run('remove', () => this.client.remove(body));
  }

  restart(): Promise<api.IRestartAnswer> {
    return this._run('restart', () => this.client.restart());
  }

  /** Fetch the status now (the panel's retry when unreachable, a login being followed). */
  fetchNow(): Promise<void> {
    return this.stream.fetchNow();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.stream.dispose();
    Signal.clearData(this);
  }

  private async _run<T>(kind: BusyKind, operation: () => Promise<T>): Promise<T> {
    this._busy.add(kind);
    this._stateChanged.emit();
    try {
      const answer = await operation();
      if (isStatus(answer)) {
        this.stream.push(answer);
      } else if (isLoginAnswer(answer)) {
        void this.stream.fetchNow();
      }
      return answer;
    } catch (err) {
      if (isUnreachable(err)) {
        this._loadError = errorMessage(err);
      }
      throw err;
    } finally {
      this._busy.delete(kind);
      this._stateChanged.emit();
    }
  }

  private _onUpdate(_: StatusStream, status: api.IStatus): void {
    this._status = status;
    this._loadError = null;
    this._updated.emit(status);
    this._stateChanged.emit();
  }

  private _onConnection(_: StatusStream, connection: ConnectionState): void {
    this._connection = connection;
    this._stateChanged.emit();
  }

  private _onError(_: StatusStream, err: unknown): void {
    this._loadError = err === null ? null : errorMessage(err);
    this._stateChanged.emit();
  }

  private _status: api.IStatus | null = null;
  private _folder: api.IDoctorAnswer | null = null;
  private _connection: ConnectionState = 'connecting';
  private _loadError: string | null = null;
  private _settings: ISettings = DEFAULT_SETTINGS;
  private _busy = new Set<BusyKind>();
  private _disposed = false;
  private _stateChanged = new Signal<this, void>(this);
  private _updated = new Signal<this, api.IStatus>(this);
}
