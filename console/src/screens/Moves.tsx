// Members moving between branches: the home branch's operator asks, the receiving branch's
// operator accepts (a member is reviewed once, valid at every branch); either side may withdraw.
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, ok } from '../api/client';
import type { MemberSummary } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { ActProgress } from '../ui/ActProgress';
import { Account, AddressField, Loaded } from '../ui/common';
import { type Act, useAct } from '../ui/useAct';

export function MovesScreen({ session }: { session: Session }) {
  const { t } = useI18n();
  const act = useAct(session);
  const branch = session.me.operatorBranch ?? session.deployment.branchId;
  return (
    <div className="screen">
      <Request session={session} branch={branch} />
      <section className="card wide" aria-labelledby="moves-title">
        <h2 id="moves-title">{t('nav.moves')}</h2>
        <ActProgress act={act} />
        <MoveList branch={branch} direction="in" act={act} />
        <MoveList branch={branch} direction="out" act={act} />
      </section>
    </div>
  );
}

function Request({ session, branch }: { session: Session; branch: number }) {
  const { t } = useI18n();
  const act = useAct(session);
  const branches = useQuery({ queryKey: ['branches'], queryFn: () => ok(api.GET('/v1/branches')), staleTime: 60_000 });
  const [account, setAccount] = useState('');
  const [to, setTo] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run({ action: 'request_move', account: account.trim(), to_branch: Number(to) });
  };
  return (
    <section className="card" aria-labelledby="request-title">
      <h2 id="request-title">{t('moves.request')}</h2>
      <form onSubmit={submit}>
        <AddressField label={t('register.account')} name="account" value={account} onChange={setAccount} />
        <label>
          {t('moves.toBranch')}
          <select name="to" value={to} onChange={(e) => setTo(e.target.value)} required>
            <option value="">—</option>
            {(branches.data ?? [])
              .filter((b) => b.active && b.branchId !== branch)
              .map((b) => (
                <option key={b.branchId} value={b.branchId}>
                  {b.name} · {b.region}
                </option>
              ))}
          </select>
        </label>
        <button type="submit" className="primary">
          {t('moves.doRequest')}
        </button>
      </form>
      <ActProgress act={act} />
    </section>
  );
}

function MoveList({ branch, direction, act }: { branch: number; direction: 'in' | 'out'; act: Act }) {
  const i18n = useI18n();
  const { t } = i18n;
  const moves = useQuery({
    queryKey: ['moves', branch, direction],
    queryFn: () => ok(api.GET('/v1/branches/{branch}/moves', { params: { path: { branch }, query: { direction, limit: 200 } } })),
  });
  return (
    <>
      <h3>{direction === 'in' ? t('moves.incoming') : t('moves.outgoing')}</h3>
      <Loaded query={moves}>
        {(list: MemberSummary[]) => (
          <table>
            <thead>
              <tr>
                <th scope="col">{t('cases.account')}</th>
                <th scope="col">{direction === 'in' ? t('moves.from') : t('moves.toBranch')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {list.map((m) => (
                <tr key={m.account} data-testid={`move-${direction}`}>
                  <td>
                    <Account address={m.account} />
                  </td>
                  <td>{direction === 'in' ? m.homeBranch : m.pendingMoveTo}</td>
                  <td className="row">
                    {direction === 'in' ? (
                      <button type="button" className="primary" onClick={() => void act.run({ action: 'accept_move', account: m.account })}>
                        {t('moves.accept')}
                      </button>
                    ) : null}
                    <button type="button" onClick={() => void act.run({ action: 'cancel_move', account: m.account })}>
                      {t('moves.cancel')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </>
  );
}
