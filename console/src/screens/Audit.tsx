// An auditor's view: the branch's audit against the chain, and every read of a private profile,
// who read it, as what, and why.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../api/client';
import { useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { Account, Loaded } from '../ui/common';

export function AuditScreen({ session }: { session: Session }) {
  return (
    <div className="screen">
      <Report branch={session.deployment.branchId} />
      <AccessLog session={session} />
    </div>
  );
}

/** The branch's audit: every member's package opened and checked against its commitment, every
 * record and balance compared with the contracts. Run on demand: it reads the whole branch. */
function Report({ branch }: { branch: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [run, setRun] = useState(false);
  const report = useQuery({ queryKey: ['audit', branch], queryFn: () => ok(api.GET('/v1/audit', { params: { query: { branch } } })), enabled: run });
  return (
    <section className="card wide" aria-labelledby="report-title">
      <h2 id="report-title">{t('audit.report')}</h2>
      {!run ? (
        <button type="button" className="primary" onClick={() => setRun(true)}>
          {t('audit.run')}
        </button>
      ) : (
        <Loaded query={report}>
          {(r) => (
            <div data-testid="audit-report">
              <dl className="facts">
                <div>
                  <dt>{t('audit.members')}</dt>
                  <dd>{i18n.number(r.members)}</dd>
                </div>
                <div>
                  <dt>{t('audit.packagesOk')}</dt>
                  <dd>{i18n.number(r.packagesOk)}</dd>
                </div>
                <div>
                  <dt>{t('audit.recordsOk')}</dt>
                  <dd>{i18n.number(r.recordsOk)}</dd>
                </div>
                <div>
                  <dt>{t('audit.atBlock')}</dt>
                  <dd>{r.blockNumber}</dd>
                </div>
              </dl>
              {r.problems.length === 0 ? (
                <p className="done">{t('audit.noProblems')}</p>
              ) : (
                <ul className="failed">
                  {r.problems.map((p) => (
                    <li key={p}>{p}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
        </Loaded>
      )}
    </section>
  );
}

function AccessLog({ session }: { session: Session }) {
  const i18n = useI18n();
  const { t } = i18n;
  const log = useQuery({
    queryKey: ['access-log', session.deployment.branchId],
    queryFn: () => ok(api.GET('/v1/access-log', { params: { query: { limit: 500 } } })),
  });
  return (
    <section className="card wide" aria-labelledby="audit-title">
      <h2 id="audit-title">{t('audit.accessLog')}</h2>
      <Loaded query={log}>
        {(list) => (
          <table>
            <thead>
              <tr>
                <th scope="col">{t('wallet.when')}</th>
                <th scope="col">{t('audit.reader')}</th>
                <th scope="col">{t('audit.readerRoles')}</th>
                <th scope="col">{t('cases.account')}</th>
                <th scope="col">{t('audit.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((e, i) => (
                <tr key={`${e.at}-${i}`} data-testid="access-row">
                  <td>{i18n.date(e.at)}</td>
                  <td>
                    <Account address={e.reader} />
                  </td>
                  <td>{e.readerRoles}</td>
                  <td>
                    <Account address={e.account} />
                  </td>
                  <td>{e.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}
