// Small pieces every screen uses.
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { Action } from '../api/types';
import { enumNames, enumWords } from '../chain/vocabulary';
import { useI18n } from '../i18n/i18n';

/** A query's data, or its loading and error states in words (an empty list: "nothing here"). */
export function Loaded<T>({ query, children }: { query: UseQueryResult<T>; children: (data: T) => ReactNode }) {
  const i18n = useI18n();
  if (query.isPending) return <p role="status">{i18n.t('app.loading')}</p>;
  if (query.isError)
    return (
      <p className="failed" role="alert">
        {i18n.error(query.error)}{' '}
        <button type="button" onClick={() => void query.refetch()}>
          {i18n.t('app.retry')}
        </button>
      </p>
    );
  if (Array.isArray(query.data) && query.data.length === 0) return <Empty />;
  return <>{children(query.data)}</>;
}

/** An address, shortened, with the whole one for screen readers and on hover. */
export function Account({ address }: { address: string }) {
  return (
    <span className="account" title={address}>
      <span aria-hidden="true">{`${address.slice(0, 6)}…${address.slice(-4)}`}</span>
      <span className="sr-only">{address}</span>
    </span>
  );
}

export function Empty() {
  const { t } = useI18n();
  return <p className="empty">{t('app.empty')}</p>;
}

export type RiskLevel = Extract<Action, { action: 'set_risk_level' }>['level'];

/** A choice of risk level, in words. */
export function RiskLevelSelect({
  value,
  onChange,
  disabled,
  label,
}: {
  value: RiskLevel;
  onChange: (level: RiskLevel) => void;
  disabled?: boolean;
  label: string;
}) {
  const i18n = useI18n();
  return (
    <label>
      {label}
      <select name="level" value={value} disabled={disabled} onChange={(e) => onChange(e.target.value as RiskLevel)}>
        {enumNames('RiskLevel').map((n) => (
          <option key={n} value={n}>
            {i18n.w(enumWords('RiskLevel', n))}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A wallet address field: 0x and 40 hex digits, or the browser says what is wrong. */
export function AddressField({ label, name, value, onChange }: { label: string; name: string; value: string; onChange: (value: string) => void }) {
  return (
    <label>
      {label}
      <input
        name={name}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        required
        pattern="0x[0-9a-fA-F]{40}"
        spellCheck={false}
        autoComplete="off"
      />
    </label>
  );
}
