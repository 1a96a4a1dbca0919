// An operator's activities and trainings: create one, record volunteers' hours, settle.
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, ok } from '../api/client';
import type { Activity } from '../api/types';
import { enumWords } from '../chain/vocabulary';
import { useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { ActProgress } from '../ui/ActProgress';
import { Account, Loaded } from '../ui/common';
import { useAct } from '../ui/useAct';

export function ActivitiesScreen({ session }: { session: Session }) {
  const { t } = useI18n();
  const branch = session.me.operatorBranch ?? session.deployment.branchId;
  const list = useQuery({
    queryKey: ['activities', branch],
    queryFn: () => ok(api.GET('/v1/activities', { params: { query: { branch, limit: 100 } } })),
  });
  return (
    <div className="screen">
      <Create session={session} branch={branch} />
      <section className="card wide" aria-labelledby="activities-list">
        <h2 id="activities-list">{t('nav.activities')}</h2>
        <Loaded query={list}>{(rows) => rows.map((a) => <ActivityCard key={a.activityId} session={session} activity={a} />)}</Loaded>
      </section>
    </div>
  );
}

function Create({ session, branch }: { session: Session; branch: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  const act = useAct(session);
  const [kind, setKind] = useState<'activity' | 'training'>('activity');
  const [cap, setCap] = useState('4');
  const [required, setRequired] = useState('0');
  const [details, setDetails] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run({ action: 'create_activity', branch_id: branch, kind, hours_cap: cap, required_credential_type: Number(required) || 0, details });
  };
  return (
    <section className="card" aria-labelledby="create-title">
      <h2 id="create-title">{t('activities.create')}</h2>
      <form onSubmit={submit}>
        <label>
          {t('activities.kind')}
          <select value={kind} onChange={(e) => setKind(e.target.value as 'activity' | 'training')}>
            <option value="activity">{i18n.w(enumWords('ActivityKind', 'activity'))}</option>
            <option value="training">{i18n.w(enumWords('ActivityKind', 'training'))}</option>
          </select>
        </label>
        <label>
          {t('activities.cap')}
          <input value={cap} onChange={(e) => setCap(e.target.value)} inputMode="decimal" required />
        </label>
        <label>
          {t('activities.requiredCredential')}
          <input value={required} onChange={(e) => setRequired(e.target.value)} inputMode="numeric" />
        </label>
        <label>
          {t('activities.details')}
          <input value={details} onChange={(e) => setDetails(e.target.value)} required />
        </label>
        <button type="submit" className="primary">
          {t('activities.create')}
        </button>
      </form>
      <ActProgress act={act} />
    </section>
  );
}

function ActivityCard({ session, activity: a }: { session: Session; activity: Activity }) {
  const i18n = useI18n();
  const { t } = i18n;
  const act = useAct(session);
  const [hours, setHours] = useState<Record<string, string>>({});
  return (
    <article className="activity" aria-label={`#${a.activityId}`}>
      <h3>
        #{a.activityId} {a.details ?? ''} <span className="tag">{i18n.w(enumWords('ActivityKind', a.kind))}</span>{' '}
        <span className="tag">{i18n.w(enumWords('ActivityStatus', a.status))}</span>
      </h3>
      {a.participants.length === 0 ? null : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('activities.volunteer')}</th>
              <th scope="col">{t('activities.status')}</th>
              <th scope="col" className="num">
                {t('wallet.amount')}
              </th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {a.participants.map((p) => (
              <tr key={p.volunteer}>
                <td>
                  <Account address={p.volunteer} />
                </td>
                <td>{i18n.w(enumWords('ParticipationStatus', p.status))}</td>
                <td className="num">{i18n.hours(p.amount)}</td>
                <td>
                  {p.status === 'joined' ? (
                    <span className="row">
                      <input
                        aria-label={t('activities.record')}
                        size={4}
                        value={hours[p.volunteer] ?? ''}
                        onChange={(e) => setHours({ ...hours, [p.volunteer]: e.target.value })}
                      />
                      <button
                        type="button"
                        onClick={() =>
                          void act.run({ action: 'record_hours', activity_id: a.activityId, volunteer: p.volunteer, hours: hours[p.volunteer] ?? '' })
                        }
                      >
                        {t('activities.record')}
                      </button>
                    </span>
                  ) : p.status === 'confirmed' ? (
                    <button type="button" onClick={() => void act.run({ action: 'settle', activity_id: a.activityId, volunteer: p.volunteer })}>
                      {t('activities.settle')}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {a.status === 'open' ? (
        <button type="button" onClick={() => void act.run({ action: 'close_activity', activity_id: a.activityId })}>
          {t('activities.close')}
        </button>
      ) : null}
      <ActProgress act={act} />
    </article>
  );
}
