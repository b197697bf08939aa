import type { ProviderId } from '../types';

/** Largest credentials file the panel accepts (they are a few KB). */
export const MAX_UPLOAD_BYTES = 1024 * 1024;

/** Which provider a downloaded credentials file belongs to, from its name. */
export function providerForFilename(filename: string): ProviderId | null {
  const base = (filename.split(/[\\/]/).pop() ?? '').toLowerCase();
  if (base.endsWith('.toml')) {
    return 'qcs';
  }
  if (base === '.env' || base.endsWith('.env')) {
    return 'ionq';
  }
  if (base === 'token.json') {
    return 'nexus'; // qnexus's ~/.qnx/auth/token.json
  }
  if (base.endsWith('.json') || base.endsWith('qiskitrc')) {
    return 'ibm';
  }
  return null;
}
