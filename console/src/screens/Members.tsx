// Find a member: the public record, credentials with expiry, balance and payments (as the
// role table allows), and the decrypted profile when allowed — the read is logged.
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { isAddress } from 'viem';
import { api, ok } from '../api/client';
import type { HistoryEvent } from '../api/types';
import { enumWords, enumWordsOf, eventWords } from '../chain/vocabulary';
import { type I18n, useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { ActProgress } from '../ui/ActProgress';
import { AddressField, Loaded, type RiskLevel, RiskLevelSelect } from '../ui/common';
import { useAct } from '../ui/useAct';
import { ProfileReader } from '../ui/Profile';

export function MembersScreen({ session, account }: { session: Session; account?: string }) {
  const { t } = useI18n();
  const [text, setText] = useState(account ?? '');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (isAddress(text.trim())) location.hash = `#/members/${text.trim()}`;
  };
  return (
    <div className="screen">
      <section className="card wide" aria-labelledby="members-title">
        <h2 id="members-title">{t('nav.members')}</h2>
        <form onSubmit={submit} className="row">
          <AddressField label={t('members.search')} name="account" value={text} onChange={setText} />
          <button type="submit" className="primary">
            {t('members.find')}
          </button>
        </form>
        {account && isAddress(account) ? <Member session={session} account={account} /> : null}
      </section>
    </div>
  );
}

function Member({ session, account }: { session: Session; account: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const member = useQuery({
    queryKey: ['member', account],
    queryFn: () => ok(api.GET('/v1/members/{address}', { params: { path: { address: account } } })),
  });
  const balance = useQuery({
    queryKey: ['balance', account],
    queryFn: () => ok(api.GET('/v1/accounts/{address}/balance', { params: { path: { address: account } } })),
    retry: false,
  });
  return (
    <Loaded query={member}>
      {(m) => (
        <div data-testid="member">
          <dl className="facts">
            <div>
              <dt>{t('members.status')}</dt>
              <dd>{i18n.w(enumWords('MemberStatus', m.status))}</dd>
            </div>
            <div>
              <dt>{t('members.home')}</dt>
              <dd>{m.homeBranch}</dd>
            </div>
            {m.risk ? (
              <div>
                <dt>{t('members.risk')}</dt>
                <dd data-testid="member-risk">{i18n.w(enumWords('RiskLevel', m.risk))}</dd>
              </div>
            ) : null}
            {balance.data ? (
              <div>
                <dt>{t('wallet.balance')}</dt>
                <dd>{t('wallet.hours', { amount: i18n.hours(balance.data.amount) })}</dd>
              </div>
            ) : null}
            <div>
              <dt>{t('review.commitment')}</dt>
              <dd className="mono">{m.commitment}</dd>
            </div>
          </dl>
          <ProfileReader account={account} reason={t('members.whyDefault')} />
          {m.risk ? <SetRisk session={session} account={account} current={m.risk as RiskLevel} /> : null}
          <h3>{t('members.credentials')}</h3>
          <ul className="list">
            {m.credentials.map((c) => (
              <li key={c.typeId}>
                {c.typeName} · {i18n.w(enumWords('CredentialKind', c.kind))} · {t('members.expires')} {i18n.date(c.expiresAt)} ·{' '}
                <span className={c.valid ? 'tag ok' : 'tag bad'}>{c.valid ? t('members.valid') : t('members.invalid')}</span>
              </li>
            ))}
          </ul>
          <History account={account} />
        </div>
      )}
    </Loaded>
  );
}

/** Every event naming the account, as the chain recorded it (as the role table allows). */
function History({ account }: { account: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const history = useQuery({
    queryKey: ['history', account],
    queryFn: () => ok(api.GET('/v1/accounts/{address}/history', { params: { path: { address: account }, query: { limit: 100 } } })),
    retry: false,
  });
  if (history.isError) return null;
  return (
    <>
      <h3>{t('members.history')}</h3>
      <Loaded query={history}>
        {(events) => (
          <ul className="list">
            {events.map((e) => (
              <li key={`${e.blockNumber}-${e.logIndex}`} title={`${e.contract}.${e.event}`}>
                {i18n.date(e.blockTime)} · {i18n.w(eventWords(e.event))}
                {eventDetail(e, i18n)} <span className="hint">#{e.blockNumber}</span>
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </>
  );
}

/** An event's amount and purpose, where it has them, in words. */
function eventDetail(e: HistoryEvent, i18n: I18n): string {
  const fields = e.fields as Record<string, unknown>;
  const parts: string[] = [];
  // Coins' amounts are `amount`, an ERC-20 transfer's is `value`.
  const amount = fields.amount ?? fields.value;
  if (typeof amount === 'string' && /^\d+$/.test(amount)) parts.push(i18n.t('wallet.hours', { amount: i18n.hours(amount) }));
  if (typeof fields.purpose === 'string' && /^\d+$/.test(fields.purpose)) parts.push(i18n.w(enumWordsOf('Purpose', Number(fields.purpose))));
  return parts.map((p) => ` · ${p}`).join('');
}

/** A supervisor (or an operator, below blocked) sets the member's risk level, with a reason. */
function SetRisk({ session, account, current }: { session: Session; account: string; current: RiskLevel }) {
  const { t } = useI18n();
  const act = useAct(session);
  const [level, setLevel] = useState<RiskLevel>(current);
  const [reason, setReason] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run({ action: 'set_risk_level', account, level, reason });
  };
  return (
    <form onSubmit={submit} aria-label={t('risk.set')} className="row">
      <RiskLevelSelect label={t('risk.set')} value={level} onChange={setLevel} />
      <label>
        {t('alerts.reason')}
        <input name="reason" value={reason} onChange={(e) => setReason(e.target.value)} required />
      </label>
      <button type="submit">{t('risk.doSet')}</button>
      <ActProgress act={act} />
    </form>
  );
}
