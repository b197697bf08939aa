/**
 * Typed client for the jupyter_qcred REST API (docs/api.md, contract v1).
 *
 * The types are declared with `export type`/`export interface` only, so pure
 * modules (model.ts, stream.ts) can `import type` them without pulling
 * @jupyterlab/services into unit tests.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export type ProviderId = 'ibm' | 'qcs';

export type CredentialState =
  | 'ok'
  | 'expiring'
  | 'refreshing'
  | 'expired'
  | 'needs_reinit'
  | 'error'
  | 'absent';

export type LoginState = 'pending' | 'done' | 'failed' | 'expired';

export interface IHubInfo {
  available: boolean;
  user?: string | null;
  server_name?: string | null;
  spawn_url?: string | null;
  can_restart: boolean;
  can_reinitialize: boolean;
}

export interface IQcsUser {
  id?: string;
  idp_id?: string;
  email?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  organization?: string | null;
}

export interface IQcsGroup {
  id?: string;
  name: string;
  description?: string | null;
}

export interface IQcsAccount {
  credentials_name?: string | null;
  credential_kind?: 'token_payload' | 'client_credentials' | 'externally_managed' | string | null;
  /** Health of the refresh token, e.g. "ok", "expired", "refused", "unknown". */
  refresh_token_state?: string | null;
  api_url?: string | null;
  issuer?: string | null;
  client_id?: string | null;
  user?: IQcsUser | null;
  groups?: IQcsGroup[] | null;
}

export interface IIbmInstance {
  hub: string;
  group: string;
  project: string;
  default?: boolean;
}

export interface IIbmAccount {
  channel?: 'ibm_quantum_platform' | 'ibm_cloud' | 'ibm_quantum' | string | null;
  url?: string | null;
  instance?: string | null;
  instances?: IIbmInstance[] | null;
  default_instance?: string | null;
}

export interface ICredentialEntry {
  provider: ProviderId;
  /** `null` for `absent` entries (the provider has no credential at all). */
  name: string | null;
  state: CredentialState;
  expires_at: string | null;
  error: string | null;
  default?: boolean;
  source?: string | null;
  token_hint?: string | null;
  refreshed_at?: string | null;
  next_refresh_at?: string | null;
  file?: string | null;
  account?: (IQcsAccount & IIbmAccount) | null;
}

export interface ILogin {
  id: string;
  provider: ProviderId;
  profile?: string | null;
  state: LoginState;
  verification_uri?: string | null;
  verification_uri_complete?: string | null;
  user_code?: string | null;
  expires_at?: string | null;
  error?: string | null;
}

export interface IStatus {
  version: number;
  generated_at?: string | null;
  hub?: IHubInfo | null;
  defaults?: Partial<Record<ProviderId, string | null>> | null;
  providers: ICredentialEntry[];
  logins?: ILogin[] | null;
}

export interface IChange {
  provider: ProviderId;
  name: string | null;
  state: CredentialState;
  previous: CredentialState | null;
}

/** One message of the `qcred/events` WebSocket. */
export interface IEventMessage {
  type: 'status';
  status: IStatus;
  change: IChange | null;
}

export interface RefreshBody {
  provider?: ProviderId;
  name?: string;
}

export type ReinitializeBody =
  | { source: 'hub' }
  | { source: 'bundle' }
  | {
      source: 'token';
      provider: 'ibm';
      token: string;
      channel?: string;
      instance?: string;
      name?: string;
    }
  | {
      source: 'token';
      provider: 'qcs';
      refresh_token: string;
      access_token?: string;
      profile?: string;
    }
  | { source: 'file'; provider: ProviderId; filename: string; content: string }
  | { source: 'device'; provider: 'qcs'; profile?: string };

export type DefaultBody =
  | { provider: 'ibm'; name: string; instance?: string }
  | { provider: 'qcs'; name: string };

export interface IRestartAnswer {
  stopping: boolean;
  spawn_url: string;
}

/**
 * An error answered by the server (its `message` is the sentence to show) or a
 * network failure (status 0).
 */
export class QcredError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'QcredError';
  }

  /** True when the server could not be reached at all. */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

const API_PATH = 'qcred';

export class QcredClient {
  constructor(settings?: ServerConnection.ISettings) {
    this.settings = settings ?? ServerConnection.makeSettings();
  }

  readonly settings: ServerConnection.ISettings;

  getStatus(): Promise<IStatus> {
    return this.request<IStatus>('status', { method: 'GET' });
  }

  refresh(body: RefreshBody = {}): Promise<IStatus> {
    return this.request<IStatus>('refresh', { method: 'POST', body: JSON.stringify(body) });
  }

  /** Status JSON, or `{login}` for `source: "device"`. */
  reinitialize(body: ReinitializeBody): Promise<IStatus | { login: ILogin }> {
    return this.request('reinitialize', { method: 'POST', body: JSON.stringify(body) });
  }

  restart(): Promise<IRestartAnswer> {
    return this.request<IRestartAnswer>('restart', { method: 'POST', body: '{}' });
  }

  setDefault(body: DefaultBody): Promise<IStatus> {
    return this.request<IStatus>('default', { method: 'PUT', body: JSON.stringify(body) });
  }

  /**
   * URL of the push channel: `wsUrl + 'qcred/events'`, with the token as a
   * query parameter when the settings hold one (as JupyterLab's own sockets).
   */
  eventsUrl(): string {
    let url = URLExt.join(this.settings.wsUrl, API_PATH, 'events');
    const token = this.settings.token;
    if (token) {
      url += `?token=${encodeURIComponent(token)}`;
    }
    return url;
  }

  private async request<T>(endpoint: string, init: RequestInit): Promise<T> {
    const url = URLExt.join(this.settings.baseUrl, API_PATH, endpoint);
    if (init.body !== undefined) {
      init.headers = { 'Content-Type': 'application/json', ...(init.headers ?? {}) };
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.settings);
    } catch (err) {
      throw new QcredError(
        'The Jupyter server cannot be reached (' +
          errorText(err) +
          '). Check your network connection and that your server is still running.',
        0
      );
    }
    const text = await response.text();
    let data: unknown = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const message =
        data && typeof (data as { message?: unknown }).message === 'string'
          ? (data as { message: string }).message
          : response.status === 404
            ? 'The jupyter_qcred server extension is not enabled on this server. ' +
              'Install it (pip install jupyter_qcred) and restart the server.'
            : `The server answered ${response.status} ${response.statusText}.`;
      throw new QcredError(message, response.status);
    }
    return data as T;
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}

/** True for answers of `POST reinitialize {source: "device"}`. */
export function isLoginAnswer(answer: unknown): answer is { login: ILogin } {
  return !!answer && typeof answer === 'object' && 'login' in answer;
}
