/**
 * What the folder open in the file browser changes for the SDKs: the doctor's answer for it (a `.env` there that
 * qiskit-ionq reads instead of the key the panel shows), asked for at most once per quiet second, and the SDK
 * adapters that do not act (a calm note on their provider's card).
 */
import type { IAdapter, IDoctorAnswer, IDoctorFinding, IStatus, ProviderId } from '../types';

/** The findings of `provider` that differ from the panel (or could not be checked) in the folder. */
export function shadowsOf(answer: IDoctorAnswer | null, provider: ProviderId): IDoctorFinding[] {
  return (answer?.sdks ?? []).filter(f => f.provider === provider && f.state === 'differs');
}

/** The adapters of `provider` that are installed but do not act (off, unsupported): the CLI's status says the same. */
export function quietAdapters(status: IStatus | null, provider: ProviderId): IAdapter[] {
  return (status?.adapters ?? []).filter(
    a => a.provider === provider && a.state !== 'active' && a.state !== 'absent'
  );
}

/**
 * Calls `ask(path)` once the folder stopped changing for `delay` ms; an answer for a folder that is no longer the
 * current one is dropped (the file browser moved on meanwhile).
 */
export class FolderWatch {
  constructor(
    private readonly ask: (path: string) => Promise<IDoctorAnswer>,
    private readonly onAnswer: (answer: IDoctorAnswer | null, path: string) => void,
    private readonly delay = 1000
  ) {}

  get path(): string | null {
    return this._path;
  }

  /** The file browser shows `path` now. */
  set(path: string): void {
    if (path === this._path) {
      return;
    }
    this._path = path;
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      void this._run(path);
    }, this.delay);
  }

  /** Ask again for the current folder (after the credentials changed). */
  recheck(): void {
    const path = this._path;
    if (path !== null) {
      this._path = null;
      this.set(path);
    }
  }

  dispose(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._disposed = true;
  }

  private async _run(path: string): Promise<void> {
    let answer: IDoctorAnswer | null = null;
    try {
      answer = await this.ask(path);
    } catch {
      answer = null; // an older server, or a folder it refuses: no warning rather than a wrong one
    }
    if (!this._disposed && path === this._path) {
      this.onAnswer(answer, path);
    }
  }

  private _path: string | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _disposed = false;
}
