/**
 * The jupyter_qcred REST API. Requests go through `ServerConnection.makeRequest`
 * (base URL, token, XSRF); failures are `ServerConnection.NetworkError` (the
 * server cannot be reached) or `ServerConnection.ResponseError` whose message
 * is the server's sentence.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import type {
  DefaultBody,
  IExistsAnswer,
  IDoctorAnswer,
  IHostsAnswer,
  ILoginAnswer,
  IOperationAnswer,
  IRefreshBody,
  IRemoveBody,
  IRestartAnswer,
  IStatus,
  ReinitializeBody
} from './types';

const API_PATH = 'qcred';

const NOT_INSTALLED =
  'The jupyter_qcred server extension is not enabled on this server. ' +
  'Install it (pip install jupyter_qcred) and restart the server.';

export class QcredClient {
  constructor(settings?: ServerConnection.ISettings) {
    this.settings = settings ?? ServerConnection.makeSettings();
  }

  readonly settings: ServerConnection.ISettings;

  getStatus(): Promise<IStatus> {
    return this._request('status', 'GET');
  }

  refresh(body: IRefreshBody = {}): Promise<IOperationAnswer> {
    return this._request('refresh', 'POST', body);
  }

  /** The status JSON, or `{login}` for `source: "device"`. */
  reinitialize(body: ReinitializeBody): Promise<IOperationAnswer | ILoginAnswer> {
    return this._request('reinitialize', 'POST', body);
  }

  restart(): Promise<IRestartAnswer> {
    return this._request('restart', 'POST', {});
  }

  remove(body: IRemoveBody): Promise<IOperationAnswer> {
    return this._request('remove', 'POST', body);
  }

  setDefault(body: DefaultBody): Promise<IOperationAnswer> {
    return this._request('default', 'PUT', body);
  }

  /** Which credential each installed SDK will use in `path` (relative to the server's root, as the file browser
   * names folders). */
  doctor(path: string): Promise<IDoctorAnswer> {
    return this._request('doctor', 'GET', undefined, `?path=${encodeURIComponent(path)}`);
  }

  /** The push channel, with the token as a query parameter when the settings hold one (as JupyterLab's sockets). */
  eventsUrl(): string {
    const url = URLExt.join(this.settings.wsUrl, API_PATH, 'events');
    const token = this.settings.token;
    return token ? `${url}?token=${encodeURIComponent(token)}` : url;
  }

  private async _request<T>(endpoint: string, method: string, body?: object, query = ''): Promise<T> {
    const url = URLExt.join(this.settings.baseUrl, API_PATH, endpoint) + query;
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const response = await ServerConnection.makeRequest(url, init, this.settings);
    const data = parseJson(await response.text());
    if (!response.ok) {
      throw new QcredResponseError(response, serverMessage(data) ?? defaultMessage(response), data);
    }
    return data as T;
  }
}

/** A refused request, with the server's JSON answer (e.g. the `reason` of a 409). */
export class QcredResponseError extends ServerConnection.ResponseError {
  constructor(
    response: Response,
    message: string,
    readonly data: unknown
  ) {
    super(response, message);
  }
}

/** The "already exists" answer of a pasted or uploaded credential, else null. */
export function existsConflict(err: unknown): IExistsAnswer | null {
  if (!(err instanceof QcredResponseError) || err.response.status !== 409) {
    return null;
  }
  const data = err.data as Partial<IExistsAnswer> | null;
  return data && data.reason === 'exists' && typeof data.name === 'string'
    ? { message: err.message, reason: 'exists', provider: data.provider as IExistsAnswer['provider'], name: data.name }
    : null;
}

/** The "new hosts" answer of an uploaded file (nothing was written or sent yet), else null. */
export function hostsConflict(err: unknown): IHostsAnswer | null {
  if (!(err instanceof QcredResponseError) || err.response.status !== 409) {
    return null;
  }
  const data = err.data as Partial<IHostsAnswer> | null;
  const hosts = data?.hosts;
  return data &&
    data.reason === 'hosts' &&
    Array.isArray(hosts) &&
    hosts.length > 0 &&
    hosts.every(host => typeof host === 'string')
    ? { message: err.message, reason: 'hosts', provider: data.provider as IHostsAnswer['provider'], hosts }
    : null;
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

function serverMessage(data: unknown): string | null {
  const message = (data as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : null;
}

function defaultMessage(response: Response): string {
  return response.status === 404 ? NOT_INSTALLED : `The server answered ${response.status} ${response.statusText}.`;
}

/** True when the Jupyter server could not be reached at all. */
export function isUnreachable(err: unknown): boolean {
  return err instanceof ServerConnection.NetworkError;
}

/** The sentence to show for a failed request. */
export function errorMessage(err: unknown): string {
  if (isUnreachable(err)) {
    return (
      `The Jupyter server cannot be reached (${(err as Error).message}). ` +
      'Check your network connection and that your server is still running.'
    );
  }
  return err instanceof Error ? err.message : String(err);
}

export function isLoginAnswer(answer: unknown): answer is ILoginAnswer {
  return !!answer && typeof answer === 'object' && 'login' in answer;
}

export function isStatus(answer: unknown): answer is IOperationAnswer {
  return !!answer && typeof answer === 'object' && Array.isArray((answer as IStatus).providers);
}
