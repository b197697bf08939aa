/**
 * Which addresses from the server the panel may render as links. A link is something a person clicks without
 * reading it: only `https:` (and `http:` on this machine's loopback, where the sandbox and local tools live) qualify;
 * anything else (`javascript:`, `data:`, plain `http:` elsewhere, garbage) is shown as plain text.
 */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function safeLink(url: string | null | undefined): string | null {
  if (!url) {
    return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol === 'https:') {
    return parsed.href;
  }
  if (parsed.protocol === 'http:' && (LOOPBACK.has(parsed.hostname) || /^127(\.\d{1,3}){3}$/.test(parsed.hostname))) {
    return parsed.href;
  }
  return null;
}
