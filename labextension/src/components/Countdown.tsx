import * as React from 'react';
import { expiryAnnouncement, expiryPhase, formatCountdown, parseTime } from '../model/time';
import { useNow } from './clock';
import { IContext } from './context';

/**
 * A live countdown, ticking each second without any server round-trip. The
 * ticking text is not a live region; a visually hidden `role="status"` region
 * beside it announces only phase changes (valid -> expires soon -> expired).
 */
export function Countdown({
  ctx,
  expiresAt,
  label,
  testid
}: {
  ctx: IContext;
  expiresAt: string | null;
  label: string;
  testid: string;
}): React.ReactElement {
  const { trans, store } = ctx;
  const exp = parseTime(expiresAt);
  const now = useNow(1000, exp !== null);
  const phase = expiryPhase(exp, now, store.settings.warningMinutes);
  const text = exp === null ? trans.__('expiry unknown') : formatCountdown(exp - now);
  return (
    <span className="jp-qcred-countdown-wrap">
      {exp !== null && exp - now >= 0 && <span className="jp-qcred-muted">{trans.__('expires in')} </span>}
      <time
        className={`jp-qcred-countdown jp-qcred-countdown--${phase}`}
        data-testid={testid}
        data-phase={phase}
        dateTime={expiresAt ?? undefined}
        title={exp !== null ? new Date(exp).toLocaleString() : undefined}
      >
        {text}
      </time>
      <span className="jp-qcred-sr-only" role="status" aria-live="polite" data-testid={`${testid}-live`}>
        {trans.__(expiryAnnouncement(phase, label))}
      </span>
    </span>
  );
}
