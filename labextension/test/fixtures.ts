import type { CredentialState, ICredentialEntry, IOperationResult, IStatus, ProviderId } from '../src/types';

export function entry(
  provider: ProviderId,
  name: string | null,
  state: CredentialState,
  extra: Partial<ICredentialEntry> = {}
): ICredentialEntry {
  return { provider, name, state, expires_at: null, error: null, ...extra };
}

export function status(providers: ICredentialEntry[], extra: Partial<IStatus> = {}): IStatus {
  return { version: 1, providers, ...extra };
}

/** The example of docs/api.md. */
export const API_EXAMPLE: IStatus = {
  version: 1,
  generated_at: '2026-11-22T12:00:00Z',
  hub: {
    available: true,
    user: 'alice',
    server_name: '',
    spawn_url: '/hub/spawn/alice',
    can_restart: true,
    can_reinitialize: true
  },
  defaults: { ibm: 'default-ibm-quantum-platform', qcs: 'default' },
  providers: [
    {
      provider: 'qcs',
      name: 'default',
      state: 'ok',
      expires_at: '2026-11-22T13:00:00Z',
      error: null,
      default: true,
      source: 'bundle',
      token_hint: '…x9Qa',
      account: {
        credentials_name: 'default',
        credential_kind: 'token_payload',
        refresh_token_state: 'ok',
        user: { email: 'alice@example.org' },
        groups: [{ name: 'wonderland-lab' }]
      }
    },
    {
      provider: 'ibm',
      name: 'default-ibm-quantum-platform',
      state: 'ok',
      expires_at: '2026-11-22T13:00:00Z',
      error: null,
      default: true,
      account: { channel: 'ibm_quantum_platform', instance: 'crn:v1:...', instances: [], default_instance: null }
    },
    {
      provider: 'ibm',
      name: 'legacy',
      state: 'ok',
      expires_at: '2026-12-06T12:00:00Z',
      error: null,
      default: false,
      account: {
        channel: 'ibm_quantum',
        instance: 'ibm-q/open/main',
        instances: [{ hub: 'ibm-q', group: 'open', project: 'main', default: true }],
        default_instance: 'ibm-q/open/main'
      }
    }
  ],
  logins: []
};

export function result(
  outcome: IOperationResult['outcome'],
  message: string,
  credentials: IOperationResult['credentials'] = []
): IOperationResult {
  return { outcome, message, credentials };
}

/** Let promise chains and `Poll` schedules settle. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise<void>(resolve => setImmediate(resolve));
  }
}
