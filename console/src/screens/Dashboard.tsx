// The branch at a glance, as charts: members by status, payments per day, hours rewarded per
// week by purpose (`/v1/branches/{branch}/stats`), its minting quota, open cases by rule and by
// action, and how long decisions take.
import { useQuery } from '@tanstack/react-query';
import { formatUnits } from 'viem';
import { api, ok } from '../api/client';
import { ruleWords, enumWords } from '../chain/vocabulary';
import { constants, rules } from '../generated/chain';
import { useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { Bars } from '../ui/Bars';
import { Loaded } from '../ui/common';

export function DashboardScreen({ session }: { session: Session }) {
  const i18n = useI18n();
  const { t } = i18n;
  const branch = session.me.operatorBranch ?? session.deployment.branchId;
  const quota = useQuery({
    queryKey: ['quota', branch],
    queryFn: () => ok(api.GET('/v1/branches/{branch}/quota', { params: { path: { branch } } })),
  });
  const cases = useQuery({ queryKey: ['cases', 'recent'], queryFn: () => ok(api.GET('/v1/cases', { params: { query: { limit: 1000 } } })) });
  const stats = useQuery({
    queryKey: ['stats', branch],
    queryFn: () => ok(api.GET('/v1/branches/{branch}/stats', { params: { path: { branch } } })),
  });
  return (
    <div className="screen">
      <section className="card" aria-labelledby="quota-title">
        <h2 id="quota-title">{t('dash.quota')}</h2>
        <Loaded query={quota}>
          {(q) => {
            const limit = Number(formatUnits(BigInt(q.limit), constants.decimals));
            const used = Number(formatUnits(BigInt(q.minted), constants.decimals));
            const share = limit > 0 ? Math.min(1, used / limit) : 0;
            return (
              <>
                <svg
                  viewBox="0 0 300 24"
                  width="100%"
                  role="img"
                  aria-label={t('dash.quotaUsed', { used: i18n.number(used), limit: i18n.number(limit) })}
                >
                  <rect x={0} y={4} width={300} height={16} rx={4} className="gauge-back" />
                  <rect x={0} y={4} width={300 * share} height={16} rx={4} className="gauge" />
                </svg>
                <p>{t('dash.quotaUsed', { used: i18n.number(used), limit: i18n.number(limit) })}</p>
              </>
            );
          }}
        </Loaded>
      </section>
      <Loaded query={stats}>
        {(s) => (
          <>
            <section className="card" aria-labelledby="members-status-title">
              <h2 id="members-status-title">{t('dash.membersByStatus')}</h2>
              <Bars
                data={s.membersByStatus.map((m) => ({ name: i18n.w(enumWords('MemberStatus', m.status)), value: m.count }))}
                label={t('dash.membersByStatus')}
              />
            </section>
            <section className="card" aria-labelledby="payments-day-title">
              <h2 id="payments-day-title">{t('dash.paymentsPerDay')}</h2>
              <Bars data={s.paymentsPerDay.slice(-14).map((d) => ({ name: i18n.day(d.day), value: d.count }))} label={t('dash.paymentsPerDay')} />
            </section>
            <section className="card" aria-labelledby="rewards-week-title">
              <h2 id="rewards-week-title">{t('dash.rewardsPerWeek')}</h2>
              <Bars
                data={s.rewardsPerWeek.map((w) => ({
                  name: `${i18n.day(w.week)} ${i18n.w(enumWords('Purpose', w.purpose))}`,
                  value: Number(w.hours),
                }))}
                label={t('dash.rewardsPerWeek')}
              />
            </section>
          </>
        )}
      </Loaded>
      <Loaded query={cases}>
        {(list) => {
          const open = list.filter((c) => c.status === 'open');
          const byRule = rules
            .map((r) => ({ name: i18n.w(ruleWords(r.name)), value: open.filter((c) => c.rules.includes(r.name)).length }))
            .filter((d) => d.value > 0);
          const actions = [...new Set(list.map((c) => c.action))].map((a) => ({
            name: i18n.w(enumWords('MonitorAction', a)),
            value: list.filter((c) => c.action === a).length,
          }));
          const waits = list
            .filter((c) => c.status !== 'open')
            .map((c) => (Date.parse(c.updatedAt) - Date.parse(c.openedAt)) / 3_600_000)
            .sort((a, b) => a - b);
          const median = waits.length ? (waits[Math.floor((waits.length - 1) / 2)] ?? 0) : null;
          return (
            <>
              <section className="card" aria-labelledby="by-rule-title">
                <h2 id="by-rule-title">{t('dash.openByRule')}</h2>
                <Bars data={byRule} label={t('dash.openByRule')} />
              </section>
              <section className="card" aria-labelledby="by-action-title">
                <h2 id="by-action-title">{t('dash.casesByAction')}</h2>
                <Bars data={actions} label={t('dash.casesByAction')} />
              </section>
              <section className="card" aria-labelledby="median-title">
                <h2 id="median-title">{t('dash.medianDecision')}</h2>
                <p className="big">{median == null ? '—' : t('dash.hoursUnit', { hours: i18n.number(median) })}</p>
              </section>
            </>
          );
        }}
      </Loaded>
    </div>
  );
}
