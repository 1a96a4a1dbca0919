// An operator's review queue: members another operator of the branch submitted, with the
// decrypted profile beside its on-chain commitment; approve or reject as the second operator.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../api/client';
import type { MemberSummary } from '../api/types';
import { useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { ActProgress } from '../ui/ActProgress';
import { Account, Loaded } from '../ui/common';
import { ProfileReader } from '../ui/Profile';
import { type Act, useAct } from '../ui/useAct';

export function ReviewScreen({ session }: { session: Session }) {
  const { t } = useI18n();
  // One write at a time, its progress above the queue: an approved member leaves the queue,
  // the result stays.
  const act = useAct(session);
  const branch = session.me.operatorBranch ?? session.deployment.branchId;
  const pending = useQuery({
    queryKey: ['pending', branch],
    queryFn: () => ok(api.GET('/v1/branches/{branch}/pending-members', { params: { path: { branch }, query: { limit: 200 } } })),
  });
  return (
    <section className="card wide" aria-labelledby="review-title">
      <h2 id="review-title">{t('review.title')}</h2>
      <p className="hint">{t('review.intro')}</p>
      <ActProgress act={act} />
      <Loaded query={pending}>
        {(list) => (
          <ul className="list">
            {list.map((m) => (
              <Pending key={m.account} session={session} member={m} act={act} />
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}

function Pending({ session, member, act }: { session: Session; member: MemberSummary; act: Act }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [reason, setReason] = useState('');
  const mine = member.submittedBy.toLowerCase() === session.wallet.address.toLowerCase();
  return (
    <li className="pending" data-testid="pending-member">
      <p>
        <Account address={member.account} /> · {t('review.submittedBy')} <Account address={member.submittedBy} /> · {t('review.submittedAt')}{' '}
        {i18n.date(member.submittedAt)}
      </p>
      <ProfileReader account={member.account} reason={t('review.whyDefault')} />
      <div className="row">
        <button type="button" className="primary" disabled={mine} onClick={() => void act.run({ action: 'approve_member', account: member.account })}>
          {t('review.approve')}
        </button>
        <label>
          {t('review.reason')}
          <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <button type="button" disabled={!reason.trim()} onClick={() => void act.run({ action: 'reject_member', account: member.account, reason })}>
          {t('review.reject')}
        </button>
      </div>
    </li>
  );
}
