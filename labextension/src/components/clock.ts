import { Poll } from '@lumino/polling';
import * as React from 'react';

/**
 * The current time, updated every `interval` ms while `active` (and while the
 * page is visible: the poll stands by when it is hidden).
 */
export function useNow(interval: number, active = true): number {
  const [now, setNow] = React.useState(() => Date.now());
  React.useEffect(() => {
    if (!active) {
      return undefined;
    }
    const poll = new Poll({
      name: 'jupyter-qcred:clock',
      factory: async () => setNow(Date.now()),
      frequency: { interval, backoff: false },
      standby: 'when-hidden'
    });
    return () => poll.dispose();
  }, [interval, active]);
  return now;
}
