// Partners' risk alerts: a partner raises one and sees how supervisors assessed theirs; a
// supervisor assesses.
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, ok } from '../api/client';
import type { Alert } from '../api/types';
import { enumWords } from '../chain/vocabulary';
import { useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { ActProgress } from '../ui/ActProgress';
import { Account, AddressField, Loaded, type RiskLevel, RiskLevelSelect } from '../ui/common';
import { useAct } from '../ui/useAct';

export function AlertsScreen({ session }: { session: Session }) {
  const i18n = useI18n();
  const { t } = i18n;
  const alerts = useQuery({ queryKey: ['alerts'], queryFn: () => ok(api.GET('/v1/alerts', { params: { query: { limit: 200 } } })) });
  const partner = session.me.roles.includes('partner');
  const supervisor = session.me.roles.includes('supervisor');
  return (
    <div className="screen">
      {partner ? <Raise session={session} /> : null}
      <section className="card wide" aria-labelledby="alerts-title">
        <h2 id="alerts-title">{t('alerts.title')}</h2>
        <Loaded query={alerts}>
          {(list) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">{t('alerts.account')}</th>
                  <th scope="col">{t('alerts.partner')}</th>
                  <th scope="col">{t('alerts.level')}</th>
                  <th scope="col">{t('cases.status')}</th>
                  <th scope="col" />
                </tr>
              </thead>
              <tbody>
                {list.map((a) => (
                  <tr key={a.alertId} data-testid="alert-row">
                    <td>{a.alertId}</td>
                    <td>
                      <Account address={a.account} />
                    </td>
                    <td>
                      <Account address={a.partner} />
                    </td>
                    <td>{i18n.w(enumWords('RiskLevel', a.level))}</td>
                    <td>{a.assessed ? t('alerts.assessed') : t('alerts.pending')}</td>
                    <td>{supervisor && !a.assessed ? <Assess session={session} alert={a} /> : null}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Loaded>
      </section>
    </div>
  );
}

function Raise({ session }: { session: Session }) {
  const { t } = useI18n();
  const act = useAct(session);
  const [account, setAccount] = useState('');
  const [reason, setReason] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run({ action: 'raise_risk_alert', account: account.trim(), reason });
  };
  return (
    <section className="card" aria-labelledby="raise-title">
      <h2 id="raise-title">{t('alerts.raise')}</h2>
      <form onSubmit={submit}>
        <AddressField label={t('alerts.account')} name="account" value={account} onChange={setAccount} />
        <label>
          {t('alerts.reason')}
          <textarea name="reason" value={reason} onChange={(e) => setReason(e.target.value)} required />
        </label>
        <button type="submit" className="primary">
          {t('alerts.raise')}
        </button>
      </form>
      <ActProgress act={act} />
    </section>
  );
}

function Assess({ session, alert }: { session: Session; alert: Alert }) {
  const i18n = useI18n();
  const { t } = i18n;
  const act = useAct(session);
  const [level, setLevel] = useState<RiskLevel>('medium');
  const [reason, setReason] = useState('');
  return (
    <div className="row">
      <RiskLevelSelect label={t('alerts.level')} value={level} onChange={setLevel} />
      <label>
        {t('alerts.reason')}
        <input value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <button
        type="button"
        disabled={!reason.trim()}
        onClick={() => void act.run({ action: 'assess_risk_alert', alert_id: alert.alertId, level, reason })}
      >
        {t('alerts.assess')}
      </button>
      <ActProgress act={act} />
    </div>
  );
}
