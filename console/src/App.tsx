// The console: sign in, then the screens the signed-in person's roles allow.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { api, ok } from './api/client';
import type { Role } from './api/types';
import { roleWords } from './chain/vocabulary';
import { useI18n } from './i18n/i18n';
import type { MessageKey } from './i18n/zh';
import { LiveFeed } from './live';
import { useRoute } from './route';
import { AlertsScreen } from './screens/Alerts';
import { AuditScreen } from './screens/Audit';
import { CasesScreen } from './screens/Cases';
import { CredentialsScreen } from './screens/Credentials';
import { DashboardScreen } from './screens/Dashboard';
import { HoldsScreen } from './screens/Holds';
import { MembersScreen } from './screens/Members';
import { MovesScreen } from './screens/Moves';
import { ActivitiesScreen } from './screens/Activities';
import { RegisterScreen } from './screens/Register';
import { RiskScreen } from './screens/Risk';
import { ReviewScreen } from './screens/Review';
import { SignIn } from './screens/SignIn';
import { WalletScreen } from './screens/Wallet';
import { type Session, signOut } from './session';
import { Account } from './ui/common';

interface Screen {
  id: string;
  label: MessageKey;
  roles: Role[];
  render: (session: Session, rest: string[]) => ReactNode;
}

/** Each screen and the roles that see it (the gateway's role table decides what it shows). */
const screens: Screen[] = [
  { id: 'wallet', label: 'nav.wallet', roles: ['member'], render: (s) => <WalletScreen session={s} /> },
  { id: 'register', label: 'nav.register', roles: ['operator'], render: (s) => <RegisterScreen session={s} /> },
  { id: 'review', label: 'nav.review', roles: ['operator'], render: (s) => <ReviewScreen session={s} /> },
  {
    id: 'members',
    label: 'nav.members',
    roles: ['operator', 'supervisor', 'auditor', 'admin'],
    render: (s, r) => <MembersScreen session={s} account={r[0]} />,
  },
  { id: 'credentials', label: 'nav.credentials', roles: ['issuer', 'operator'], render: (s) => <CredentialsScreen session={s} /> },
  { id: 'moves', label: 'nav.moves', roles: ['operator'], render: (s) => <MovesScreen session={s} /> },
  { id: 'activities', label: 'nav.activities', roles: ['operator'], render: (s) => <ActivitiesScreen session={s} /> },
  {
    id: 'cases',
    label: 'nav.cases',
    roles: ['supervisor', 'operator', 'auditor', 'admin'],
    render: (s, r) => <CasesScreen session={s} caseId={r[0]} />,
  },
  { id: 'risk', label: 'nav.risk', roles: ['supervisor', 'auditor', 'admin'], render: () => <RiskScreen /> },
  { id: 'holds', label: 'nav.holds', roles: ['supervisor', 'auditor', 'admin'], render: (s) => <HoldsScreen session={s} /> },
  {
    id: 'alerts',
    label: 'nav.alerts',
    roles: ['supervisor', 'partner', 'operator', 'auditor', 'admin'],
    render: (s) => <AlertsScreen session={s} />,
  },
  { id: 'audit', label: 'nav.audit', roles: ['auditor', 'admin'], render: (s) => <AuditScreen session={s} /> },
  { id: 'dashboard', label: 'nav.dashboard', roles: ['operator', 'supervisor', 'auditor', 'admin'], render: (s) => <DashboardScreen session={s} /> },
];

export function App() {
  const i18n = useI18n();
  const { t } = i18n;
  const [session, setSession] = useState<Session | null>(null);
  const [route, go] = useRoute();
  const queries = useQueryClient();
  const deployment = useQuery({ queryKey: ['deployment'], queryFn: () => ok(api.GET('/v1/deployment')), staleTime: Infinity });
  const branches = useQuery({ queryKey: ['branches'], queryFn: () => ok(api.GET('/v1/branches')), enabled: session != null, staleTime: 60_000 });
  const branchName = branches.data?.find((b) => b.branchId === deployment.data?.branchId)?.name;

  const visible = session ? screens.filter((s) => s.roles.some((r) => session.me.roles.includes(r))) : [];
  const current = visible.find((s) => s.id === route[0]) ?? visible[0];

  const leave = async () => {
    await signOut();
    queries.clear();
    setSession(null);
  };

  return (
    <>
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <header>
        <h1>
          {t('app.title')}
          {branchName ? <span className="branch"> · {t('app.branch', { name: branchName })}</span> : null}
        </h1>
        <div className="who">
          {session ? (
            <>
              <Account address={session.wallet.address} />
              <span className="roles">{session.me.roles.map((r) => i18n.w(roleWords(r))).join('、')}</span>
              <button type="button" onClick={() => void leave()}>
                {t('app.signOut')}
              </button>
            </>
          ) : null}
          <button
            type="button"
            title={t('app.languageLabel')}
            lang={i18n.locale === 'zh' ? 'en' : 'zh-CN'}
            onClick={() => i18n.setLocale(i18n.locale === 'zh' ? 'en' : 'zh')}
          >
            {t('app.language')}
          </button>
        </div>
      </header>
      {session && visible.length > 0 ? (
        <nav aria-label={t('app.title')}>
          <ul>
            {visible.map((s) => (
              <li key={s.id}>
                <a href={`#/${s.id}`} aria-current={s.id === current?.id ? 'page' : undefined}>
                  {t(s.label)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      ) : null}
      <main id="main">
        {!session ? (
          deployment.data ? (
            <SignIn deployment={deployment.data} onSignedIn={(s) => (setSession(s), go(''))} />
          ) : (
            <p role={deployment.isError ? 'alert' : 'status'}>{deployment.isError ? i18n.error(deployment.error) : t('app.loading')}</p>
          )
        ) : current ? (
          current.render(session, route.slice(1))
        ) : (
          <p>{t('me.none')}</p>
        )}
      </main>
      {session && session.me.roles.some((r) => ['operator', 'supervisor', 'auditor', 'admin'].includes(r)) ? <LiveFeed /> : null}
    </>
  );
}
