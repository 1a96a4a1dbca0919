// A supervisor's case inbox across branches — oldest first, filtered by rule, branch, age and
// amount, a page at a time as it scrolls — and a case with the coin flows around its account
// and the decision.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { parseUnits } from 'viem';
import { api, ok } from '../api/client';
import type { Case } from '../api/types';
import { enumWords, ruleWords } from '../chain/vocabulary';
import { constants, rules } from '../generated/chain';
import { useI18n } from '../i18n/i18n';
import type { Session } from '../session';
import { ActProgress } from '../ui/ActProgress';
import { Account, Empty, Loaded, type RiskLevel, RiskLevelSelect } from '../ui/common';
import { FlowGraph } from '../ui/FlowGraph';
import { CaseEvidence } from './Risk';
import { useAct } from '../ui/useAct';

const PAGE = 200;

export function CasesScreen({ session, caseId }: { session: Session; caseId?: string }) {
  return caseId ? <CaseDetail session={session} caseId={Number(caseId)} /> : <Inbox />;
}

function Inbox() {
  const i18n = useI18n();
  const { t } = i18n;
  const [rule, setRule] = useState('');
  const [branch, setBranch] = useState('');
  const [minDays, setMinDays] = useState('');
  const [minHours, setMinHours] = useState('');
  const [order, setOrder] = useState<'oldest' | 'score'>('oldest');
  const branches = useQuery({ queryKey: ['branches'], queryFn: () => ok(api.GET('/v1/branches')), staleTime: 60_000 });
  const cases = useInfiniteQuery({
    queryKey: ['inbox', rule, branch, order],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) =>
      ok(
        api.GET('/v1/cases', {
          params: {
            query: {
              status: 'open',
              order,
              limit: PAGE,
              after: pageParam,
              rule: rule || undefined,
              branch: branch ? Number(branch) : undefined,
            },
          },
        }),
      ),
    // Until a page comes back empty: the gateway leaves out cases about the caller, so a short
    // page need not be the last.
    getNextPageParam: (last) => last[last.length - 1]?.caseId,
  });
  // Age and amount narrow what is loaded (the server keeps the order and the pages).
  const rows = useMemo(() => {
    const all = cases.data?.pages.flat() ?? [];
    const now = Date.now();
    const days = Number(minDays) || 0;
    let least = 0n;
    try {
      least = minHours ? parseUnits(minHours, constants.decimals) : 0n;
    } catch {
      least = 0n;
    }
    return all.filter((c) => (now - Date.parse(c.openedAt)) / 86_400_000 >= days && BigInt(c.amount) >= least);
  }, [cases.data, minDays, minHours]);

  const parent = useRef<HTMLDivElement>(null);
  const rowsVirtual = useVirtualizer({ count: rows.length, getScrollElement: () => parent.current, estimateSize: () => 44, overscan: 10 });
  const items = rowsVirtual.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? 0;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = cases;
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastIndex >= rows.length - 20) void fetchNextPage();
  }, [lastIndex, rows.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  return (
    <section className="card wide" aria-labelledby="cases-title">
      <h2 id="cases-title">{t('cases.title')}</h2>
      <div className="filters">
        <label>
          {t('cases.order')}
          <select value={order} onChange={(e) => setOrder(e.target.value as 'oldest' | 'score')}>
            <option value="oldest">{t('cases.orderOldest')}</option>
            <option value="score">{t('cases.orderScore')}</option>
          </select>
        </label>
        <label>
          {t('cases.filterRule')}
          <select value={rule} onChange={(e) => setRule(e.target.value)}>
            <option value="">{t('cases.all')}</option>
            {rules.map((r) => (
              <option key={r.name} value={r.name}>
                {i18n.w(r)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('cases.filterBranch')}
          <select value={branch} onChange={(e) => setBranch(e.target.value)}>
            <option value="">{t('cases.all')}</option>
            {(branches.data ?? []).map((b) => (
              <option key={b.branchId} value={b.branchId}>
                {b.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('cases.minDays')}
          <input inputMode="numeric" value={minDays} onChange={(e) => setMinDays(e.target.value)} size={4} />
        </label>
        <label>
          {t('cases.minAmount')}
          <input inputMode="decimal" value={minHours} onChange={(e) => setMinHours(e.target.value)} size={6} />
        </label>
      </div>
      <Loaded query={cases}>
        {() =>
          rows.length === 0 ? (
            <Empty />
          ) : (
            <>
              <p className="hint row">
                <span data-testid="case-count">
                  {t('cases.count', { count: i18n.number(rows.length) })}
                  {hasNextPage ? '+' : ''}
                </span>
                <button type="button" onClick={() => void cases.refetch()}>
                  {t('app.refresh')}
                </button>
              </p>
              <div className="inbox-head" aria-hidden="true">
                <span>#</span>
                <span>{t('cases.opened')}</span>
                <span>{t('cases.account')}</span>
                <span>{t('cases.rules')}</span>
                <span>{t('cases.action')}</span>
                <span className="num">{t('cases.amount')}</span>
              </div>
              <div ref={parent} className="inbox" data-testid="case-inbox" role="list" aria-label={t('cases.title')}>
                <div style={{ height: rowsVirtual.getTotalSize(), position: 'relative' }}>
                  {items.map((item) => {
                    const c = rows[item.index] as Case;
                    return (
                      <a
                        role="listitem"
                        key={c.caseId}
                        href={`#/cases/${c.caseId}`}
                        className="inbox-row"
                        data-testid="case-row"
                        style={{ transform: `translateY(${item.start}px)`, height: item.size }}
                      >
                        <span>#{c.caseId}</span>
                        <span>{i18n.date(c.openedAt)}</span>
                        <Account address={c.account} />
                        <span>{c.rules.map((r) => i18n.w(ruleWords(r))).join('、')}</span>
                        <span>{i18n.w(enumWords('MonitorAction', c.action))}</span>
                        <span className="num">{i18n.hours(c.amount)}</span>
                      </a>
                    );
                  })}
                </div>
              </div>
            </>
          )
        }
      </Loaded>
    </section>
  );
}

function CaseDetail({ session, caseId }: { session: Session; caseId: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  // The case is in the newest-first list from its id on.
  const found = useQuery({
    queryKey: ['case', caseId],
    queryFn: async () => {
      const list = await ok(api.GET('/v1/cases', { params: { query: { order: 'oldest', after: caseId - 1, limit: 1 } } }));
      const c = list.find((x) => x.caseId === caseId);
      if (!c) throw new Error(`case #${caseId}?`);
      return c;
    },
  });
  return (
    <section className="card wide" aria-labelledby="case-title">
      <p>
        <a href="#/cases">← {t('cases.title')}</a>
      </p>
      <h2 id="case-title">{t('cases.detail', { id: caseId })}</h2>
      <Loaded query={found}>
        {(c) => (
          <>
            <dl className="facts">
              <div>
                <dt>{t('cases.account')}</dt>
                <dd>
                  <Account address={c.account} />
                </dd>
              </div>
              <div>
                <dt>{t('wallet.counterparty')}</dt>
                <dd>
                  <Account address={c.counterparty} />
                </dd>
              </div>
              {c.kind === 'agent' ? (
                <div>
                  <dt>{t('cases.kind')}</dt>
                  <dd>{i18n.w(enumWords('CaseKind', c.kind))}</dd>
                </div>
              ) : (
                <>
                  <div>
                    <dt>{t('cases.amount')}</dt>
                    <dd>{t('wallet.hours', { amount: i18n.hours(c.amount) })}</dd>
                  </div>
                  <div>
                    <dt>{t('wallet.purpose')}</dt>
                    <dd>{i18n.w(enumWords('Purpose', c.purpose))}</dd>
                  </div>
                  <div>
                    <dt>{t('cases.rules')}</dt>
                    <dd>{c.rules.map((r) => i18n.w(ruleWords(r))).join('、')}</dd>
                  </div>
                </>
              )}
              <div>
                <dt>{t('cases.action')}</dt>
                <dd>{i18n.w(enumWords('MonitorAction', c.action))}</dd>
              </div>
              <div>
                <dt>{t('cases.opened')}</dt>
                <dd>{i18n.date(c.openedAt)}</dd>
              </div>
              <div>
                <dt>{t('cases.status')}</dt>
                <dd data-testid="case-status">{i18n.w(enumWords('CaseStatus', c.status))}</dd>
              </div>
              {c.decidedBy ? (
                <div>
                  <dt>{t('cases.decidedBy')}</dt>
                  <dd>
                    <Account address={c.decidedBy} /> {c.note ?? ''}
                  </dd>
                </div>
              ) : null}
            </dl>
            {c.kind === 'agent' && session.me.roles.some((r) => r === 'supervisor' || r === 'auditor' || r === 'admin') ? (
              <CaseEvidence caseId={c.caseId} />
            ) : null}
            <h3>{t('cases.flow')}</h3>
            <FlowGraph center={c.account} />
            {c.status === 'open' && session.me.roles.includes('supervisor') ? (
              <Decide session={session} caseId={c.caseId} account={c.account} />
            ) : null}
          </>
        )}
      </Loaded>
    </section>
  );
}

function Decide({ session, caseId, account }: { session: Session; caseId: number; account: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const act = useAct(session);
  const member = useQuery({
    queryKey: ['member', account],
    queryFn: () => ok(api.GET('/v1/members/{address}', { params: { path: { address: account } } })),
  });
  const [outcome, setOutcome] = useState<'cleared' | 'confirmed'>('cleared');
  const [note, setNote] = useState('');
  const [chosen, setLevel] = useState<RiskLevel>('medium');
  // Clearing a case leaves the member's risk level as it is (the desk refuses anything else).
  const current = (member.data?.risk ?? 'none') as RiskLevel;
  const level = outcome === 'cleared' ? current : chosen;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void act.run({ action: 'decide_case', case_id: caseId, outcome, note, risk_level: level });
  };
  return (
    <form onSubmit={submit} className="decide" aria-label={t('cases.decide')}>
      <h3>{t('cases.decide')}</h3>
      <label>
        {t('cases.outcome')}
        <select name="outcome" value={outcome} onChange={(e) => setOutcome(e.target.value as 'cleared' | 'confirmed')}>
          <option value="cleared">{i18n.w(enumWords('CaseStatus', 'cleared'))}</option>
          <option value="confirmed">{i18n.w(enumWords('CaseStatus', 'confirmed'))}</option>
        </select>
      </label>
      <RiskLevelSelect label={t('cases.riskLevel')} value={level} disabled={outcome === 'cleared'} onChange={setLevel} />
      {outcome === 'cleared' ? <p className="hint">{t('cases.clearedKeepsLevel')}</p> : null}
      <label>
        {t('cases.note')}
        <textarea name="note" value={note} onChange={(e) => setNote(e.target.value)} required />
      </label>
      <button type="submit" className="primary">
        {t('cases.decide')}
      </button>
      <ActProgress act={act} />
    </form>
  );
}
