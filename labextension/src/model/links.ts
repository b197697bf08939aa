/**
 * Only web links are rendered: https, or http on this machine (a local test service). A `javascript:` or `data:`
 * address sent by an identity provider must never become something a person clicks.
 */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isSafeUrl(url: string | null | undefined): url is string {
  if (!url || /[\s"'<>`\\]/.test(url)) {
    return false;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'https:') {
    return parsed.hostname !== '';
  }
  return (
    parsed.protocol === 'http:' && (LOOPBACK.has(parsed.hostname) || /^127(\.\d{1,3}){3}$/.test(parsed.hostname))
  );
}

/** The first of `candidates` that is safe to render as a link, or null. */
export function safeLink(...candidates: (string | null | undefined)[]): string | null {
  return candidates.find(isSafeUrl) ?? null;
}
