// An operator registers a new member: the gateway seals the profile (encrypted for the
// branches and supervisors, its commitment on chain; the gateway binds the document's
// uniqueness key once the submission lands); the
// console checks the sealed call is this profile for this account before the operator signs.
// A person already registered anywhere is refused, in words.
import { type FormEvent, useState } from 'react';
import { type Address, isAddress } from 'viem';
import { api, ok } from '../api/client';
import { checkSealed } from '../chain/profile';
import { constants } from '../generated/chain';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/zh';
import { type Session, contractsOf, prepareCall } from '../session';
import { ActProgress } from '../ui/ActProgress';
import { AddressField } from '../ui/common';
import { useAct } from '../ui/useAct';

export function RegisterScreen({ session }: { session: Session }) {
  const { t } = useI18n();
  const act = useAct(session);
  const [account, setAccount] = useState('');
  const [fullName, setFullName] = useState('');
  const [dateOfBirth, setDateOfBirth] = useState('');
  const [contact, setContact] = useState('');
  const [documentType, setDocumentType] = useState<string>(constants.documentTypes[0]);
  const [documentNumber, setDocumentNumber] = useState('');
  const branch = session.me.operatorBranch ?? session.deployment.branchId;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const who = account.trim();
    if (!isAddress(who)) return;
    const fields = { fullName, dateOfBirth, contact, identityDocument: { type: documentType, number: documentNumber } };
    void act.runChecked(async () => {
      const sealed = await ok(api.POST('/v1/members/package', { body: { account: who, profile: fields, action: 'submit' } }));
      const call = checkSealed(sealed, who as Address, branch, fields, contractsOf(session.deployment).identityRegistry);
      return prepareCall(session, call);
    });
  };

  return (
    <section className="card narrow" aria-labelledby="register-title">
      <h2 id="register-title">{t('register.title')}</h2>
      <p className="hint">{t('register.intro')}</p>
      <form onSubmit={submit}>
        <AddressField label={t('register.account')} name="account" value={account} onChange={setAccount} />
        <label>
          {t('register.fullName')}
          <input name="fullName" value={fullName} onChange={(e) => setFullName(e.target.value)} required />
        </label>
        <label>
          {t('register.dateOfBirth')}
          <input name="dateOfBirth" type="date" value={dateOfBirth} onChange={(e) => setDateOfBirth(e.target.value)} required />
        </label>
        <label>
          {t('register.contact')}
          <input name="contact" value={contact} onChange={(e) => setContact(e.target.value)} required />
        </label>
        <label>
          {t('register.documentType')}
          <select name="documentType" value={documentType} onChange={(e) => setDocumentType(e.target.value)}>
            {constants.documentTypes.map((d) => (
              <option key={d} value={d}>
                {t(`register.doc.${d}` as MessageKey)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('register.documentNumber')}
          <input name="documentNumber" value={documentNumber} onChange={(e) => setDocumentNumber(e.target.value)} required autoComplete="off" />
        </label>
        <button type="submit" className="primary">
          {t('register.submit')}
        </button>
      </form>
      <ActProgress act={act} />
    </section>
  );
}
