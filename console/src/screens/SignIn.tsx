// Sign in with the person's own browser wallet, or — on the development chain only — a demo
// account of `make up`.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Hex } from 'viem';
import { api, ok } from '../api/client';
import type { ConsoleDeployment } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { type Session, signIn } from '../session';
import { type Wallet, connectInjected, demoWallet, demoWalletAllowed, injectedProvider } from '../wallet/wallet';

export function SignIn({ deployment, onSignedIn }: { deployment: ConsoleDeployment; onSignedIn: (s: Session) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const demo = demoWalletAllowed(deployment.chainId) && deployment.demoAccounts;
  const accounts = useQuery({ queryKey: ['demo-accounts'], queryFn: () => ok(api.GET('/v1/dev/accounts')), enabled: demo, staleTime: Infinity });
  const [picked, setPicked] = useState('');
  const provider = injectedProvider();

  const start = async (wallet: () => Promise<Wallet>) => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(await wallet(), deployment));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="signin-title" className="card narrow">
      <h2 id="signin-title">{t('signin.title')}</h2>
      <p>{t('signin.intro')}</p>
      {provider ? (
        <button type="button" className="primary" disabled={busy} onClick={() => void start(() => connectInjected(provider))}>
          {t('signin.injected')}
        </button>
      ) : (
        <p className="hint">{t('signin.noWallet')}</p>
      )}
      {demo ? (
        <div className="demo" data-testid="demo-wallet">
          <h3>{t('signin.demoTitle')}</h3>
          <p className="hint">{t('signin.demoIntro', { chainId: deployment.chainId })}</p>
          <label>
            {t('signin.demoPick')}
            <select value={picked} onChange={(e) => setPicked(e.target.value)}>
              <option value="">—</option>
              {(accounts.data?.accounts ?? []).map((a) => (
                <option key={a.name} value={a.name}>
                  {a.name} ({a.address.slice(0, 8)}…)
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            disabled={busy || !picked}
            onClick={() => {
              const account = accounts.data?.accounts.find((a) => a.name === picked);
              if (account) void start(async () => demoWallet(account.key as Hex, deployment.chainId));
            }}
          >
            {t('signin.demoSignIn')}
          </button>
        </div>
      ) : null}
      {busy ? <p role="status">{t('signin.signing')}</p> : null}
      {error ? (
        <p className="failed" role="alert">
          {i18n.error(error)}
        </p>
      ) : null}
    </section>
  );
}
