// A volunteer's account: balance, payments, giving coins (the monitor's verdict shown in words
// before signing; a service is paid by confirming it), joining activities and confirming hours.
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { formatUnits } from 'viem';
import { api, ok } from '../api/client';
import type { Activity } from '../api/types';
import { constants } from '../generated/chain';
import { enumWords } from '../chain/vocabulary';
import { useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { ActProgress } from '../ui/ActProgress';
import { Account, AddressField, Loaded } from '../ui/common';
import { useAct } from '../ui/useAct';

export function WalletScreen({ session }: { session: Session }) {
  const i18n = useI18n();
  const { t } = i18n;
  const me = session.wallet.address;
  const balance = useQuery({
    queryKey: ['balance', me],
    queryFn: () => ok(api.GET('/v1/accounts/{address}/balance', { params: { path: { address: me } } })),
  });
  const payments = useQuery({
    queryKey: ['payments', me],
    queryFn: () => ok(api.GET('/v1/accounts/{address}/payments', { params: { path: { address: me }, query: { limit: 50 } } })),
  });
  const activities = useQuery({
    queryKey: ['activities', 'open'],
    queryFn: () => ok(api.GET('/v1/activities', { params: { query: { status: 'open', limit: 50 } } })),
  });

  return (
    <div className="screen">
      <section className="card" aria-labelledby="balance-title">
        <h2 id="balance-title">{t('wallet.balance')}</h2>
        <Loaded query={balance}>
          {(b) => (
            <p className="big" data-testid="balance">
              {t('wallet.hours', { amount: i18n.hours(b.amount) })}
            </p>
          )}
        </Loaded>
      </section>
      <PayForm session={session} />
      <section className="card" aria-labelledby="activities-title">
        <h2 id="activities-title">{t('wallet.activities')}</h2>
        <Loaded query={activities}>{(list) => <ActivityList session={session} list={list} />}</Loaded>
      </section>
      <section className="card wide" aria-labelledby="history-title">
        <h2 id="history-title">{t('wallet.history')}</h2>
        <Loaded query={payments}>
          {(list) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('wallet.when')}</th>
                  <th scope="col">{t('wallet.counterparty')}</th>
                  <th scope="col">{t('wallet.purpose')}</th>
                  <th scope="col" className="num">
                    {t('wallet.amount')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((p) => {
                  const out = p.sender.toLowerCase() === me.toLowerCase();
                  return (
                    <tr key={`${p.txHash}-${p.logIndex}`}>
                      <td>{i18n.date(p.blockTime)}</td>
                      <td>
                        {out ? t('wallet.sent') : t('wallet.received')} <Account address={out ? p.recipient : p.sender} />
                      </td>
                      <td>{i18n.w(enumWords('Purpose', p.purpose))}</td>
                      <td className={`num ${out ? 'out' : 'in'}`}>
                        {out ? '−' : '+'}
                        {i18n.hours(p.amount)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </Loaded>
      </section>
    </div>
  );
}

function PayForm({ session }: { session: Session }) {
  const { t } = useI18n();
  const act = useAct(session);
  const [to, setTo] = useState('');
  const [hours, setHours] = useState('');
  const [reference, setReference] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // A payment of one's own is a gift: a service is paid by confirming it (the coin refuses
    // a service payment with no service behind it).
    void act.check({ action: 'pay', to: to.trim(), hours: hours.trim(), purpose: 'gift', reference: reference.trim() || null });
  };
  return (
    <section className="card" aria-labelledby="pay-title">
      <h2 id="pay-title">{t('wallet.pay')}</h2>
      <p className="hint">{t('wallet.serviceHint')}</p>
      <form onSubmit={submit}>
        <AddressField label={t('wallet.to')} name="to" value={to} onChange={setTo} />
        <label>
          {t('wallet.amount')}
          <input name="hours" value={hours} onChange={(e) => setHours(e.target.value)} required inputMode="decimal" />
        </label>
        <label>
          {t('wallet.reference')}
          <input name="reference" value={reference} onChange={(e) => setReference(e.target.value)} />
        </label>
        <button
          type="submit"
          className="primary"
          disabled={act.state.step === 'preparing' || act.state.step === 'signing' || act.state.step === 'sending'}
        >
          {t('wallet.check')}
        </button>
      </form>
      <ActProgress act={act} />
    </section>
  );
}

function ActivityList({ session, list }: { session: Session; list: Activity[] }) {
  const i18n = useI18n();
  const { t } = i18n;
  const act = useAct(session);
  const me = session.wallet.address.toLowerCase();
  return (
    <>
      <ul className="list">
        {list.map((a) => {
          const mine = a.participants.find((p) => p.volunteer.toLowerCase() === me);
          return (
            <li key={a.activityId}>
              <strong>
                #{a.activityId} {a.details ?? i18n.w(enumWords('ActivityKind', a.kind))}
              </strong>{' '}
              <span className="hint">
                {t('activities.cap')}: {i18n.hours(a.hoursCap)}
              </span>{' '}
              {!mine ? (
                <button type="button" onClick={() => void act.run({ action: 'join_activity', activity_id: a.activityId })}>
                  {t('wallet.join')}
                </button>
              ) : mine.status === 'recorded' ? (
                <button
                  type="button"
                  onClick={() =>
                    void act.run({ action: 'confirm_hours', activity_id: a.activityId, hours: formatUnits(BigInt(mine.amount), constants.decimals) })
                  }
                >
                  {t('wallet.confirmHours')} ({i18n.hours(mine.amount)})
                </button>
              ) : (
                <span className="tag">{i18n.w(enumWords('ParticipationStatus', mine.status))}</span>
              )}
            </li>
          );
        })}
      </ul>
      <ActProgress act={act} />
    </>
  );
}
