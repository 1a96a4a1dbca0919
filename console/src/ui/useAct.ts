// One write, from the person's action to "visible at this branch": check with the gateway,
// show what will happen (the call in words, the monitor's verdict), sign, relay, wait for the
// index. Every step is a state the page shows.
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import type { Action, Relayed } from '../api/types';
import { type Checked, type Session, prepare, relay, sign, untilIndexed } from '../session';

export type ActState =
  | { step: 'idle' }
  | { step: 'preparing' }
  | { step: 'review'; checked: Checked }
  | { step: 'signing'; checked: Checked }
  | { step: 'sending'; checked: Checked }
  | { step: 'mined'; relayed: Relayed }
  | { step: 'indexed'; relayed: Relayed }
  | { step: 'failed'; error: unknown };

export interface Act {
  state: ActState;
  /** Checks `action` and waits for the person to confirm (`confirm`). */
  check: (action: Action) => Promise<void>;
  /** Signs and sends the checked write. */
  confirm: () => Promise<void>;
  /** Checks and, unless the monitor would do anything, signs at once. */
  run: (action: Action) => Promise<void>;
  /** `run` for a write checked some other way (a sealed profile). */
  runChecked: (make: () => Promise<Checked>) => Promise<void>;
  reset: () => void;
}

export function useAct(session: Session): Act {
  const [state, setState] = useState<ActState>({ step: 'idle' });
  const queries = useQueryClient();
  const checkedRef = useRef<Checked | null>(null);

  const send = useCallback(
    async (checked: Checked) => {
      try {
        setState({ step: 'signing', checked });
        const signed = await sign(session, checked);
        setState({ step: 'sending', checked });
        const relayed = await relay(signed);
        if (!relayed.success) throw new Error(relayed.failure ?? 'the transaction failed');
        setState({ step: 'mined', relayed });
        await untilIndexed(relayed.blockNumber);
        setState({ step: 'indexed', relayed });
        await queries.invalidateQueries();
      } catch (error) {
        setState({ step: 'failed', error });
      }
    },
    [session, queries],
  );

  const check = useCallback(
    async (action: Action) => {
      setState({ step: 'preparing' });
      try {
        const checked = await prepare(session, action);
        checkedRef.current = checked;
        setState({ step: 'review', checked });
      } catch (error) {
        setState({ step: 'failed', error });
      }
    },
    [session],
  );

  const confirm = useCallback(async () => {
    const checked = checkedRef.current;
    if (checked) await send(checked);
  }, [send]);

  const runChecked = useCallback(
    async (make: () => Promise<Checked>) => {
      setState({ step: 'preparing' });
      try {
        const checked = await make();
        checkedRef.current = checked;
        if (checked.verdict && checked.verdict.action !== 'none') setState({ step: 'review', checked });
        else await send(checked);
      } catch (error) {
        setState({ step: 'failed', error });
      }
    },
    [send],
  );
  const run = useCallback((action: Action) => runChecked(() => prepare(session, action)), [session, runChecked]);

  const reset = useCallback(() => setState({ step: 'idle' }), []);
  return { state, check, confirm, run, runChecked, reset };
}
