/**
 * Types of the jupyter_qcred REST API and status JSON (docs/api.md, contract v1).
 *
 * Type declarations only: pure modules import them without pulling
 * @jupyterlab/services into the unit tests.
 */

/** A provider's key ('ibm', 'qcs', 'ionq', 'braket', ...): the panel shows whatever the server manages. */
export type ProviderId = string;

/** What the server says about each provider it manages (status JSON `provider_info`). */
export interface IProviderInfo {
  title: string;
  /** What one credential is called: account, profile, key. */
  noun: string;
  /** How a person can provide one: 'token' (paste), 'upload' (a file), 'login' (device). */
  methods: string[];
}

export type CredentialState =
  | 'ok'
  | 'expiring'
  | 'refreshing'
  | 'expired'
  | 'needs_reinit'
  | 'error'
  | 'unsupported'
  | 'absent';

export type LoginState = 'pending' | 'done' | 'failed' | 'expired';

/** How a refresh attempt, or a whole operation, ended. */
export type Outcome = 'ok' | 'failed' | 'refused';

export interface IHubInfo {
  available: boolean;
  user?: string | null;
  server_name?: string | null;
  spawn_url?: string | null;
  can_restart: boolean;
  can_reinitialize: boolean;
  /** The hub's pages and API as the browser reaches them, e.g. "/hub/". Absent from older servers. */
  hub_url?: string | null;
  /** Why the last restart failed (until the next one). */
  restart_error?: string | null;
  /** Why this server cannot restart itself (shown next to the disabled Restart button). */
  restart_unavailable?: string | null;
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

/** The last refresh attempt the server made for a credential. */
export interface ILastRefresh {
  at: string;
  outcome: Outcome;
  error: string | null;
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
  /** Consecutive failed refresh attempts (0 after a success). Absent from older servers. */
  failures?: number;
  /** When the server retries after a transient failure. */
  retry_at?: string | null;
  last_refresh?: ILastRefresh | null;
  account?: (IQcsAccount & IIbmAccount & IGenericAccount) | null;
  /** Sentences about something to fix that does not stop the credential from working (a file others can read). */
  warnings?: string[] | null;
  /**
   * The server's one rule (core/states.py): whether a person must act. Every view reads it; none re-derives it.
   * Absent from older servers (then: the state is not ok, expiring, refreshing or absent).
   */
  action_needed?: boolean;
  /** A refresh failed (not refused) while the access token still has time left: calm, the server retries. */
  retrying?: boolean;
}

/** One notice of a credential value kept out of a file or an output (status JSON `redactions`, issue 24). */
export interface IRedaction {
  name: string;
  where: string;
  what: string;
  action?: string;
  at: string;
  count: number;
  /** The server's sentence, e.g. "1 key kept out of analysis.ipynb". */
  notice?: string;
}

/** The status JSON's `summary`: whether anything needs a person, and a sentence. */
export interface IStatusSummary {
  action_needed: boolean;
  count: number;
  retrying?: number;
  message: string;
}

/** What a provider other than IBM and QCS puts in `account`: one line, and label/value rows the views show. */
export interface IGenericAccount {
  summary?: string;
  fields?: Array<[string, string]>;
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
  provider_info?: Record<ProviderId, IProviderInfo> | null;
  providers: ICredentialEntry[];
  logins?: ILogin[] | null;
  /** The SDK adapters of the enabled providers (docs/api.md); older servers send none. */
  adapters?: IAdapter[] | null;
  /** The one rule's verdict over every entry (older servers send none). */
  summary?: IStatusSummary | null;
  /** Per provider, the newest notices of values kept out of files and outputs (older servers send none). */
  redactions?: Partial<Record<ProviderId, IRedaction[]>> | null;
}

/** One SDK adapter (status JSON `adapters`): whether it acts in this server's kernels, and why not. */
export interface IAdapter {
  name: string;
  sdk: string;
  distribution: string;
  version: string | null;
  state: 'active' | 'off' | 'unsupported' | 'absent' | string;
  message: string;
  /** The provider whose card shows it. */
  provider: ProviderId;
}

/** One line of the doctor's answer: what one SDK will use in the folder, and whether the panel shows it. */
export interface IDoctorFinding {
  provider: ProviderId;
  sdk: string;
  mode: string | null;
  state: 'ok' | 'none' | 'differs' | 'error';
  credential: string | null;
  uses: string;
  where: string | null;
  variable: string | null;
  fingerprint: string | null;
  panel: string | null;
  message: string;
  fix: string | null;
}

/** `GET qcred/doctor?path=`: which credential each installed SDK will use in a folder. */
export interface IDoctorAnswer {
  path: string;
  shown_path: string;
  ok: boolean;
  sdks: IDoctorFinding[];
  adapters: IAdapter[];
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

export interface ICredentialResult {
  provider: ProviderId;
  name: string | null;
  outcome: Outcome;
  error: string | null;
}

/** What an operation did, with the sentence to show the user. */
export interface IOperationResult {
  outcome: Outcome;
  message: string;
  credentials: ICredentialResult[];
  /** Done, yet a credential it saved needs action (its sentence is in `message`): a warning, not a success. */
  attention?: boolean;
}

/** The answer of POST/PUT operations: the status after it, and (newer servers) its result. */
export interface IOperationAnswer extends IStatus {
  result?: IOperationResult | null;
}

export interface ILoginAnswer {
  login: ILogin;
}

export interface IRefreshBody {
  provider?: ProviderId;
  name?: string;
}

/** What a pasted token or an uploaded file may also ask for. */
export interface IWriteOptions {
  /** Replace an existing account or profile of that name (else the server answers 409, reason "exists"). */
  replace?: boolean;
  /** Make it the provider's default. */
  make_default?: boolean;
}

/** What an uploaded file may also ask for. */
export interface IUploadOptions extends IWriteOptions {
  /** The user chose to send their tokens to the hosts the file names (else the server answers 409, reason "hosts"). */
  trust_hosts?: boolean;
}

export type ReinitializeBody =
  | { source: 'hub' }
  | { source: 'bundle' }
  | ({
      source: 'token';
      provider: 'ibm';
      token: string;
      channel?: string;
      instance?: string;
      name?: string;
    } & IWriteOptions)
  | ({
      source: 'token';
      provider: 'qcs';
      refresh_token: string;
      access_token?: string;
      profile?: string;
    } & IWriteOptions)
  | ({ source: 'token'; provider: ProviderId; token: string } & IWriteOptions)
  | ({ source: 'file'; provider: ProviderId; filename: string; content: string } & IUploadOptions)
  | { source: 'device'; provider: ProviderId; profile?: string };

export interface IRemoveBody {
  provider: ProviderId;
  name: string;
}

/** The 409 answer when a pasted or uploaded credential would replace one of the same name. */
export interface IExistsAnswer {
  message: string;
  reason: 'exists';
  provider: ProviderId;
  name: string;
}

/** The 409 answer when an uploaded file would send tokens to hosts they have not gone to before. */
export interface IHostsAnswer {
  message: string;
  reason: 'hosts';
  provider: ProviderId;
  hosts: string[];
}

export type DefaultBody = { provider: ProviderId; name: string; instance?: string };

export interface IRestartAnswer {
  stopping: boolean;
  spawn_url: string;
  /** Newer servers: where the browser asks the hub whether the stop finished. */
  hub_url?: string | null;
  user?: string | null;
  server_name?: string | null;
}
