// An auditor's view: every read of a private profile, who read it, as what, and why.
import { useQuery } from '@tanstack/react-query';
import { api, ok } from '../api/client';
import { useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { Account, Loaded } from '../ui/common';

export function AuditScreen({ session }: { session: Session }) {
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
