// The risk agent's work: the patterns it found about accounts (each with its evidence, beside
// the case it opened) and the platform's weak spots with what to do about them.
import { useQuery } from '@tanstack/react-query';
import { api, ok } from '../api/client';
import type { RiskFinding } from '../api/types';
import { enumWords, severityWords } from '../chain/vocabulary';
import { ownHalf, useI18n } from '../i18n/i18n';
import { Account, Empty, Loaded } from '../ui/common';

interface EvidencePayment {
  block: number;
  logIndex: number;
  time: number;
  from: string;
  to: string;
  micro: number;
  purpose: string;
}

/** A finding's evidence: the payments in chain order, the path, the figures. */
function Evidence({ finding }: { finding: RiskFinding }) {
  const i18n = useI18n();
  const { t } = i18n;
  const evidence = finding.evidence as { payments?: EvidencePayment[]; path?: string[]; figures?: Record<string, unknown> };
  const payments = evidence.payments ?? [];
  const path = evidence.path ?? [];
  return (
    <article className="finding" data-testid="finding">
      <h4>
        <span className={`tag severity-${finding.severity}`}>{i18n.w(severityWords(finding.severity))}</span> {ownHalf(finding.summary, i18n.locale)}{' '}
        <span className="hint">({finding.detector})</span>
      </h4>
      {path.length > 0 ? (
        <p className="path">
          {t('risk.path')}:{' '}
          {path.map((a, i) => (
            <span key={`${a}-${i}`}>
              {i > 0 ? ' → ' : ''}
              <Account address={a} />
            </span>
          ))}
        </p>
      ) : null}
      {payments.length > 0 ? (
        <table>
          <caption>{t('risk.payments')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('wallet.when')}</th>
              <th scope="col">{t('holds.from')}</th>
              <th scope="col">{t('holds.to')}</th>
              <th scope="col">{t('wallet.purpose')}</th>
              <th scope="col" className="num">
                {t('cases.amount')}
              </th>
              <th scope="col">{t('risk.block')}</th>
            </tr>
          </thead>
          <tbody>
            {payments.map((p) => (
              <tr key={`${p.block}-${p.logIndex}`}>
                <td>{i18n.date(new Date(p.time * 1000).toISOString())}</td>
                <td>
                  <Account address={p.from} />
                </td>
                <td>
                  <Account address={p.to} />
                </td>
                <td>{i18n.w(enumWords('Purpose', p.purpose))}</td>
                <td className="num">{t('wallet.hours', { amount: i18n.number(p.micro / 1e6) })}</td>
                <td>#{p.block}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p className="hint mono">
        {t('risk.reasonHash')}: {finding.reasonHash}
      </p>
    </article>
  );
}

/** The findings behind an agent's case (its reason is their evidence's hash). */
export function CaseEvidence({ caseId }: { caseId: number }) {
  const { t } = useI18n();
  const findings = useQuery({
    queryKey: ['case-evidence', caseId],
    queryFn: () => ok(api.GET('/v1/risk/findings', { params: { query: { case: caseId } } })),
  });
  return (
    <>
      <h3>{t('risk.evidence')}</h3>
      <Loaded query={findings}>{(list) => (list.length === 0 ? <Empty /> : list.map((f) => <Evidence key={f.findingId} finding={f} />))}</Loaded>
    </>
  );
}

export function RiskScreen() {
  const i18n = useI18n();
  const { t } = i18n;
  const platform = useQuery({ queryKey: ['risk-platform'], queryFn: () => ok(api.GET('/v1/risk/platform', { params: { query: { limit: 200 } } })) });
  const findings = useQuery({ queryKey: ['risk-findings'], queryFn: () => ok(api.GET('/v1/risk/findings', { params: { query: { limit: 200 } } })) });
  return (
    <div className="screen">
      <section className="card wide" aria-labelledby="platform-title">
        <h2 id="platform-title">{t('risk.platform')}</h2>
        <p className="hint">{t('risk.platformIntro')}</p>
        <Loaded query={platform}>
          {(list) =>
            list.length === 0 ? (
              <Empty />
            ) : (
              <table data-testid="platform-findings">
                <thead>
                  <tr>
                    <th scope="col">{t('risk.severity')}</th>
                    <th scope="col">{t('risk.subject')}</th>
                    <th scope="col">{t('risk.what')}</th>
                    <th scope="col">{t('risk.todo')}</th>
                    <th scope="col">{t('risk.seen')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((f) => (
                    <tr key={f.findingId} className={f.resolvedAt ? 'resolved' : undefined} data-testid="platform-finding">
                      <td>
                        <span className={`tag severity-${f.severity}`}>{i18n.w(severityWords(f.severity))}</span>
                      </td>
                      <td>{f.subject}</td>
                      <td>{ownHalf(f.summary, i18n.locale)}</td>
                      <td>{ownHalf(f.remediation, i18n.locale)}</td>
                      <td>
                        {i18n.date(f.firstSeen)} – {f.resolvedAt ? `${t('risk.resolved')} ${i18n.date(f.resolvedAt)}` : t('risk.ongoing')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Loaded>
      </section>
      <section className="card wide" aria-labelledby="findings-title">
        <h2 id="findings-title">{t('risk.findings')}</h2>
        <p className="hint">{t('risk.findingsIntro')}</p>
        <Loaded query={findings}>
          {(list) =>
            list.length === 0 ? (
              <Empty />
            ) : (
              <table data-testid="risk-findings">
                <thead>
                  <tr>
                    <th scope="col">{t('risk.severity')}</th>
                    <th scope="col">{t('cases.account')}</th>
                    <th scope="col">{t('risk.what')}</th>
                    <th scope="col">{t('holds.case')}</th>
                  </tr>
                </thead>
                <tbody>
                  {[...list]
                    .sort((a, b) => b.score - a.score)
                    .map((f) => (
                      <tr key={f.findingId} data-testid="risk-finding">
                        <td>
                          <span className={`tag severity-${f.severity}`}>{i18n.w(severityWords(f.severity))}</span>
                        </td>
                        <td>
                          <a href={`#/members/${f.account}`}>
                            <Account address={f.account} />
                          </a>
                        </td>
                        <td>
                          {ownHalf(f.summary, i18n.locale)} <span className="hint">({f.detector})</span>
                        </td>
                        <td>{f.caseId != null ? <a href={`#/cases/${f.caseId}`}>{t('cases.detail', { id: f.caseId })}</a> : t('risk.noCase')}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            )
          }
        </Loaded>
      </section>
    </div>
  );
}
