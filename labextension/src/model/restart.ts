/**
 * Following a restart under JupyterHub from the browser. The server being stopped cannot tell when it is gone, so
 * the page asks the hub (GET `{hub}api/users/{name}`, as the hub's own home page does) until the server has
 * stopped, and only then opens the spawn page: opened earlier, the hub sends the browser back to the dying server.
 */
import type { IHubInfo, IRestartAnswer } from '../types';

/** What the hub says about one of the user's servers. */
export type HubServerState = 'running' | 'stopping' | 'stopped' | 'starting';

/** How long the page waits for the hub to finish stopping the server before it says so. */
export const STOP_DEADLINE_MS = 120_000;

/** How often the page asks the hub. */
export const HUB_POLL_MS = 1000;

/** sessionStorage key: set before leaving for the spawn page, read by the new JupyterLab to open the panel. */
export const RESTART_FLAG = 'jupyter-qcred:restarted';

/** A flag older than this is a leftover (e.g. the spawn never finished), not this restart's. */
export const RESTART_FLAG_MAX_AGE_MS = 15 * 60_000;

/** Where and about what to ask the hub. */
export interface IRestartTarget {
  hubUrl: string;
  user: string;
  serverName: string;
  spawnUrl: string;
}

/** From the restart answer, else the status' hub part, else JupyterLab's page config (`hubPrefix`). */
export function restartTarget(
  answer: Partial<IRestartAnswer> | null,
  hub: IHubInfo | null | undefined,
  pageHubPrefix = ''
): IRestartTarget | null {
  const spawnUrl = answer?.spawn_url || hub?.spawn_url || '';
  const user = answer?.user || hub?.user || '';
  let hubUrl = answer?.hub_url || hub?.hub_url || pageHubPrefix;
  if (!hubUrl && spawnUrl.includes('/spawn/')) {
    hubUrl = spawnUrl.slice(0, spawnUrl.lastIndexOf('/spawn/') + 1);
  }
  if (!spawnUrl || !user || !hubUrl) {
    return null;
  }
  return {
    hubUrl: hubUrl.endsWith('/') ? hubUrl : `${hubUrl}/`,
    user,
    serverName: answer?.server_name ?? hub?.server_name ?? '',
    spawnUrl
  };
}

/** The state of server `serverName` in a hub user model (its `servers` holds only active servers). */
export function serverState(model: unknown, serverName: string): HubServerState | null {
  const servers = (model as { servers?: unknown } | null)?.servers;
  if (!servers || typeof servers !== 'object') {
    return null; // the hub did not show this user's servers: no read:servers scope
  }
  const server = (servers as Record<string, { ready?: boolean; pending?: string | null; stopped?: boolean }>)[
    serverName
  ];
  if (!server || server.stopped) {
    return 'stopped';
  }
  if (server.pending === 'stop') {
    return 'stopping';
  }
  if (server.pending) {
    return 'starting';
  }
  return server.ready ? 'running' : 'starting';
}

/** The XSRF token a hub page hands its own scripts (`window.jhdata.xsrf_token`), needed by the hub's API. */
export function xsrfFromHubPage(html: string): string | null {
  const match = /xsrf_token\s*:\s*"([^"]+)"/.exec(html);
  return match ? match[1] : null;
}

/** The spawn page, told to come back to `next` (this JupyterLab's own address) once the server runs. */
export function spawnUrlWithNext(spawnUrl: string, next: string): string {
  const sep = spawnUrl.includes('?') ? '&' : '?';
  return `${spawnUrl}${sep}next=${encodeURIComponent(next)}`;
}

/** Whether a stored restart flag is this browser tab's recent restart. */
export function isRecentRestart(flag: string | null, now = Date.now()): boolean {
  const at = flag === null ? NaN : Number(flag);
  return Number.isFinite(at) && now - at >= 0 && now - at < RESTART_FLAG_MAX_AGE_MS;
}

/** How waiting for the stop ended. */
export type StopWait =
  | { kind: 'stopped' }
  | { kind: 'refused'; message: string }
  | { kind: 'unreachable'; error: unknown }
  | { kind: 'timeout' };

/**
 * Ask `state` until the hub no longer runs (or stops) the server: `stopped` once it is gone (or already starting
 * again), `refused` when the hub said no (`refusal`, read while the server still runs), `unreachable` when the hub
 * could not be asked, `timeout` after `deadlineMs`.
 */
export async function waitForStop(options: {
  state: () => Promise<HubServerState>;
  refusal: () => string | null | undefined;
  deadlineMs?: number;
  intervalMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<StopWait> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)));
  const deadline = now() + (options.deadlineMs ?? STOP_DEADLINE_MS);
  for (;;) {
    let state: HubServerState;
    try {
      state = await options.state();
    } catch (error) {
      return { kind: 'unreachable', error };
    }
    if (state === 'stopped' || state === 'starting') {
      return { kind: 'stopped' };
    }
    const refused = state === 'running' ? options.refusal() : null;
    if (refused) {
      return { kind: 'refused', message: refused };
    }
    if (now() > deadline) {
      return { kind: 'timeout' };
    }
    await sleep(options.intervalMs ?? HUB_POLL_MS);
  }
}
