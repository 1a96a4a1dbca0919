// Credentials: an issuer issues, renews and revokes the types it issues (the document is hashed
// in the browser and never sent); an operator sees the branch's credentials about to expire.
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { type Hex, isHex, keccak256 } from 'viem';
import { api, ok } from '../api/client';
import { enumWords } from '../chain/vocabulary';
import { useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { ActProgress } from '../ui/ActProgress';
import { Account, AddressField, Loaded } from '../ui/common';
import { useAct } from '../ui/useAct';

const EXPIRING_DAYS = 30;

export function CredentialsScreen({ session }: { session: Session }) {
  const issuer = session.me.roles.includes('issuer');
  const operator = session.me.roles.includes('operator');
  return (
    <div className="screen">
      {issuer ? <Issue session={session} /> : null}
      {issuer ? <Revoke session={session} /> : null}
      {operator ? <Expiring branch={session.me.operatorBranch ?? session.deployment.branchId} /> : null}
    </div>
  );
}

/** The credential types the signed-in issuer may issue, each with its kind in words. */
function CredentialTypeField({ session, value, onChange }: { session: Session; value: string; onChange: (typeId: string) => void }) {
  const i18n = useI18n();
  const types = useQuery({
    queryKey: ['credential-types'],
    queryFn: () => ok(api.GET('/v1/credential-types')),
    select: (types) => types.filter((t) => t.active && session.me.issuerTypes.includes(t.typeId)),
  });
  return (
    <label>
      {i18n.t('credentials.type')}
      <select name="type" value={value} onChange={(e) => onChange(e.target.value)} required>
        <option value="">—</option>
        {(types.data ?? []).map((ty) => (
          <option key={ty.typeId} value={ty.typeId}>
            {ty.name} ({i18n.w(enumWords('CredentialKind', ty.kind))})
          </option>
        ))}
      </select>
    </label>
  );
}

function Issue({ session }: { session: Session }) {
  const i18n = useI18n();
  const { t } = i18n;
  const act = useAct(session);
  const [account, setAccount] = useState('');
  const [typeId, setTypeId] = useState('');
  const [hash, setHash] = useState('');
  const [expires, setExpires] = useState('');
  const [renew, setRenew] = useState(false);
  const hashFile = async (file: File | undefined) => {
    if (file) setHash(keccak256(new Uint8Array(await file.arrayBuffer())));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const expiresAt = Math.floor(Date.parse(`${expires}T23:59:59Z`) / 1000);
    const fields = { account: account.trim(), type_id: Number(typeId), document_hash: hash, expires_at: expiresAt };
    void act.run(renew ? { action: 'renew_credential', ...fields } : { action: 'issue_credential', ...fields });
  };
  return (
    <section className="card" aria-labelledby="issue-title">
      <h2 id="issue-title">{t('credentials.issue')}</h2>
      <p className="hint">{t('credentials.intro')}</p>
      <form onSubmit={submit}>
        <AddressField label={t('register.account')} name="account" value={account} onChange={setAccount} />
        <CredentialTypeField session={session} value={typeId} onChange={setTypeId} />
        <label>
          {t('credentials.file')}
          <input name="file" type="file" onChange={(e) => void hashFile(e.target.files?.[0])} />
        </label>
        <label>
          {t('credentials.hash')}
          <input name="hash" value={hash} onChange={(e) => setHash(e.target.value)} required pattern="0x[0-9a-fA-F]{64}" spellCheck={false} />
        </label>
        <label>
          {t('credentials.expires')}
          <input name="expires" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} required />
        </label>
        <label className="check">
          <input type="checkbox" checked={renew} onChange={(e) => setRenew(e.target.checked)} />
          {t('credentials.doRenew')}
        </label>
        <button type="submit" className="primary" disabled={!isHex(hash as Hex)}>
          {renew ? t('credentials.doRenew') : t('credentials.doIssue')}
        </button>
      </form>
      <ActProgress act={act} />
    </section>
  );
}

function Revoke({ session }: { session: Session }) {
  const i18n = useI18n();
  const { t } = i18n;
  const act = useAct(session);
  const [account, setAccount] = useState('');
  const [typeId, setTypeId] = useState('');
  const [reason, setReason] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run({ action: 'revoke_credential', account: account.trim(), type_id: Number(typeId), reason });
  };
  return (
    <section className="card" aria-labelledby="revoke-title">
      <h2 id="revoke-title">{t('credentials.revoke')}</h2>
      <form onSubmit={submit}>
        <AddressField label={t('register.account')} name="account" value={account} onChange={setAccount} />
        <CredentialTypeField session={session} value={typeId} onChange={setTypeId} />
        <label>
          {t('alerts.reason')}
          <textarea name="reason" value={reason} onChange={(e) => setReason(e.target.value)} required />
        </label>
        <button type="submit">{t('credentials.doRevoke')}</button>
      </form>
      <ActProgress act={act} />
    </section>
  );
}

function Expiring({ branch }: { branch: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  const list = useQuery({
    queryKey: ['expiring', branch],
    queryFn: () =>
      ok(api.GET('/v1/branches/{branch}/expiring-credentials', { params: { path: { branch }, query: { days: EXPIRING_DAYS, limit: 200 } } })),
  });
  return (
    <section className="card wide" aria-labelledby="expiring-title">
      <h2 id="expiring-title">{t('credentials.expiring', { days: EXPIRING_DAYS })}</h2>
      <Loaded query={list}>
        {(rows) => (
          <table>
            <thead>
              <tr>
                <th scope="col">{t('cases.account')}</th>
                <th scope="col">{t('credentials.typeName')}</th>
                <th scope="col">{t('credentials.expires')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={`${c.account}-${c.typeId}`} data-testid="expiring-row">
                  <td>
                    <Account address={c.account} />
                  </td>
                  <td>{c.typeName}</td>
                  <td>{i18n.date(c.expiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}
