// Coins in escrow: what each hold is, the case that decides it, and — for a hold no desk owns
// (held under a monitor since replaced) — a supervisor adopts it, which opens its case.
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../api/client';
import type { Hold } from '../api/types';
import { enumNames, enumWords } from '../chain/vocabulary';
import { useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { ActProgress } from '../ui/ActProgress';
import { Account, Empty, Loaded } from '../ui/common';
import { useAct } from '../ui/useAct';

const PAGE = 100;

export function HoldsScreen({ session }: { session: Session }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [status, setStatus] = useState<Hold['status'] | ''>('held');
  const holds = useInfiniteQuery({
    queryKey: ['holds', status],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) => ok(api.GET('/v1/holds', { params: { query: { status: status || undefined, after: pageParam, limit: PAGE } } })),
    // The gateway leaves out holds on the caller's own payments: only an empty page is the last.
    getNextPageParam: (last) => last[last.length - 1]?.holdId,
  });
  const supervisor = session.me.roles.includes('supervisor');
  return (
    <section className="card wide" aria-labelledby="holds-title">
      <h2 id="holds-title">{t('holds.title')}</h2>
      <p className="hint">{t('holds.intro')}</p>
      <div className="filters">
        <label>
          {t('holds.status')}
          <select value={status} onChange={(e) => setStatus(e.target.value as Hold['status'] | '')}>
            <option value="">{t('cases.all')}</option>
            {enumNames('HoldStatus')
              .filter((n) => n !== 'none')
              .map((n) => (
                <option key={n} value={n}>
                  {i18n.w(enumWords('HoldStatus', n))}
                </option>
              ))}
          </select>
        </label>
      </div>
      <Loaded query={holds}>
        {(data) => {
          const rows = data.pages.flat();
          if (rows.length === 0) return <Empty />;
          return (
            <>
              <table data-testid="holds">
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">{t('holds.since')}</th>
                    <th scope="col">{t('holds.from')}</th>
                    <th scope="col">{t('holds.to')}</th>
                    <th scope="col">{t('wallet.purpose')}</th>
                    <th scope="col" className="num">
                      {t('cases.amount')}
                    </th>
                    <th scope="col">{t('holds.status')}</th>
                    <th scope="col">{t('holds.case')}</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((h) => (
                    <tr key={h.holdId} data-testid="hold-row">
                      <td>{h.holdId}</td>
                      <td>{i18n.date(h.updatedAt)}</td>
                      <td>
                        <Account address={h.sender} />
                      </td>
                      <td>
                        <Account address={h.recipient} />
                      </td>
                      <td>{i18n.w(enumWords('Purpose', h.purpose))}</td>
                      <td className="num">{t('wallet.hours', { amount: i18n.hours(h.amount) })}</td>
                      <td>{i18n.w(enumWords('HoldStatus', h.status))}</td>
                      <td>
                        {h.caseId != null ? (
                          <a href={`#/cases/${h.caseId}`}>
                            {t('cases.detail', { id: h.caseId })}
                            {h.caseStatus ? ` · ${i18n.w(enumWords('CaseStatus', h.caseStatus))}` : ''}
                          </a>
                        ) : supervisor && h.status === 'held' ? (
                          <Adopt session={session} hold={h} />
                        ) : (
                          t('holds.noCase')
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {holds.hasNextPage ? (
                <button type="button" disabled={holds.isFetchingNextPage} onClick={() => void holds.fetchNextPage()}>
                  {t('holds.more')}
                </button>
              ) : null}
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

function Adopt({ session, hold }: { session: Session; hold: Hold }) {
  const { t } = useI18n();
  const act = useAct(session);
  return (
    <div>
      <span>{t('holds.noCase')}</span>{' '}
      <button type="button" onClick={() => void act.run({ action: 'adopt_hold', hold_id: hold.holdId })}>
        {t('holds.adopt')}
      </button>
      <ActProgress act={act} />
    </div>
  );
}
