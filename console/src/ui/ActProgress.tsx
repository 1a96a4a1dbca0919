// What a write is doing now, in words, with the monitor's verdict before signing.
import type { MonitorVerdict } from '../api/types';
import { ruleWords } from '../chain/vocabulary';
import { type I18n, useI18n } from '../i18n/i18n';
import type { Act } from './useAct';

export function verdictWords(i18n: I18n, verdict: MonitorVerdict | null): string {
  const action = verdict?.action ?? 'none';
  const rules = (verdict?.rules ?? []).map((r) => i18n.w(ruleWords(r))).join('、');
  switch (action) {
    case 'flag':
      return i18n.t('act.verdict.flag', { rules });
    case 'hold':
      return i18n.t('act.verdict.hold', { rules });
    case 'block':
      return i18n.t('act.verdict.block', { rules });
    default:
      return i18n.t('act.verdict.none');
  }
}

export function ActProgress({ act }: { act: Act }) {
  const i18n = useI18n();
  const { t } = i18n;
  const s = act.state;
  switch (s.step) {
    case 'idle':
      return null;
    case 'preparing':
      return (
        <p className="progress" role="status">
          {t('act.preparing')}
        </p>
      );
    case 'review':
      return (
        <div className="review" role="region" aria-label={t('act.review')}>
          <p className={`verdict verdict-${s.checked.verdict?.action ?? 'none'}`} data-testid="verdict">
            {verdictWords(i18n, s.checked.verdict)}
          </p>
          <div className="buttons">
            <button type="button" className="primary" onClick={() => void act.confirm()} disabled={s.checked.verdict?.action === 'block'}>
              {t('act.sign')}
            </button>
            <button type="button" onClick={act.reset}>
              {t('act.cancel')}
            </button>
          </div>
        </div>
      );
    case 'signing':
      return (
        <p className="progress" role="status">
          {t('act.signing')}
        </p>
      );
    case 'sending':
      return (
        <p className="progress" role="status">
          {t('act.sending')}
        </p>
      );
    case 'mined':
      return (
        <p className="progress" role="status">
          {t('act.mined', { block: s.relayed.blockNumber })}
        </p>
      );
    case 'indexed':
      return (
        <p className="done" role="status" data-testid="act-done">
          {t('act.indexed', { block: s.relayed.blockNumber })}
        </p>
      );
    case 'failed':
      return (
        <p className="failed" role="alert" data-testid="act-failed">
          {t('act.failed', { reason: i18n.error(s.error) })}
        </p>
      );
  }
}
