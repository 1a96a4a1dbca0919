// A member's private profile, opened by the gateway for a role allowed to read it: asked for
// with a reason (the access log keeps it), shown with "this read is logged", and checked
// against the commitment the chain holds (recomputed here from the profile shown).
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ok } from '../api/client';
import { commitment } from '../chain/profile';
import { constants } from '../generated/chain';
import { type I18n, useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/zh';
import { Loaded } from './common';

/** The profile's fields in words (the register form's labels); any other field by its name. */
const fieldLabels = {
  fullName: 'register.fullName',
  dateOfBirth: 'register.dateOfBirth',
  contact: 'register.contact',
  identityDocument: 'review.identityDocument',
  salt: 'review.salt',
} as const satisfies Record<string, MessageKey>;

/** A field's value as text: an identity document as its type in words and its number. */
function fieldText(key: string, value: unknown, t: I18n['t']): string {
  if (typeof value === 'string') return value;
  if (key === 'identityDocument' && value && typeof value === 'object') {
    const { type, number } = value as { type?: unknown; number?: unknown };
    const known = (constants.documentTypes as readonly unknown[]).includes(type);
    const words = known ? t(`register.doc.${type as (typeof constants.documentTypes)[number]}`) : String(type);
    return `${words} ${String(number)}`;
  }
  return JSON.stringify(value);
}

export function ProfileReader({ account, reason: initial }: { account: string; reason: string }) {
  const { t } = useI18n();
  const [why, setWhy] = useState(initial);
  const [open, setOpen] = useState(false);
  const profile = useQuery({
    queryKey: ['profile', account, why],
    queryFn: () => ok(api.GET('/v1/members/{address}/profile', { params: { path: { address: account }, query: { reason: why } } })),
    enabled: open,
    staleTime: Infinity,
  });
  if (!open)
    return (
      <div className="row">
        <label>
          {t('review.why')}
          <input value={why} onChange={(e) => setWhy(e.target.value)} />
        </label>
        <button type="button" onClick={() => setOpen(true)} disabled={why.trim().length < 5}>
          {t('review.open')}
        </button>
      </div>
    );
  return (
    <Loaded query={profile}>
      {(p) => {
        const matches = commitment(p.profile) === p.commitment.toLowerCase();
        return (
          <div className="profile">
            <h3>{t('review.profile')}</h3>
            <p className="logged" role="note">
              {t('review.logged')}
            </p>
            <dl>
              {Object.entries(p.profile as Record<string, unknown>).map(([k, v]) => (
                <div key={k}>
                  <dt>{k in fieldLabels ? t(fieldLabels[k as keyof typeof fieldLabels]) : k}</dt>
                  <dd className={k === 'salt' ? 'mono' : undefined}>{fieldText(k, v, t)}</dd>
                </div>
              ))}
              <div>
                <dt>{t('review.commitment')}</dt>
                <dd className="mono">{p.commitment}</dd>
              </div>
            </dl>
            <p className={matches ? 'done' : 'failed'} role={matches ? 'note' : 'alert'} data-testid="commitment-check">
              {matches ? t('review.commitmentMatches') : t('review.commitmentDiffers')}
            </p>
          </div>
        );
      }}
    </Loaded>
  );
}
