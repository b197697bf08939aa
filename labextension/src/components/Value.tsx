import { Clipboard } from '@jupyterlab/apputils';
import { Button, copyIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { IContext } from './context';

/**
 * A value on one line: never broken mid-word (a CRN, an e-mail address, a channel name); cut with an ellipsis when
 * the card is narrower, the whole value in its tooltip and, with `copy`, on a copy button.
 */
export function Value({
  ctx,
  value,
  testid,
  copy = false,
  code = false
}: {
  ctx: IContext;
  value: string;
  testid?: string;
  copy?: boolean;
  code?: boolean;
}): React.ReactElement {
  const { trans } = ctx;
  const text = (
    <span className={`jp-qcred-value${code ? ' jp-qcred-value--code' : ''}`} title={value} data-testid={testid}>
      {value}
    </span>
  );
  if (!copy) {
    return text;
  }
  return (
    <span className="jp-qcred-value-row">
      {text}
      <Button
        small
        minimal
        className="jp-qcred-copy"
        aria-label={trans.__('Copy %1', value)}
        title={trans.__('Copy')}
        data-testid={testid ? `${testid}-copy` : undefined}
        onClick={() => Clipboard.copyToSystem(value)}
      >
        <copyIcon.react tag="span" elementSize="small" />
      </Button>
    </span>
  );
}
