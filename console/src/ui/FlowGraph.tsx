// Who paid whom around an account: its counterparties (one hop) and, for any counterparty
// expanded, theirs (two hops), with amounts, purposes and times. Drawn as a graph, listed as a
// table for keyboards and screen readers.
import { useQueries, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, ok } from '../api/client';
import type { Payment } from '../api/types';
import { enumWords } from '../chain/vocabulary';
import { useI18n } from '../i18n/i18n';
import { Account, Loaded } from './common';

const MOST = 10;

function payments(address: string) {
  return ok(api.GET('/v1/accounts/{address}/payments', { params: { path: { address }, query: { limit: 200 } } }));
}

interface Edge {
  from: string;
  to: string;
  total: bigint;
  count: number;
  last: Payment;
}

/** Payments summed per direction between two accounts, largest first. */
function edges(list: Payment[]): Edge[] {
  const map = new Map<string, Edge>();
  for (const p of list) {
    const key = `${p.sender.toLowerCase()}>${p.recipient.toLowerCase()}`;
    const e = map.get(key) ?? { from: p.sender.toLowerCase(), to: p.recipient.toLowerCase(), total: 0n, count: 0, last: p };
    e.total += BigInt(p.amount);
    e.count += 1;
    if (p.blockNumber > e.last.blockNumber) e.last = p;
    map.set(key, e);
  }
  return [...map.values()].sort((a, b) => (b.total > a.total ? 1 : b.total < a.total ? -1 : 0));
}

export function FlowGraph({ center }: { center: string }) {
  const i18n = useI18n();
  const c = center.toLowerCase();
  const first = useQuery({ queryKey: ['payments', c], queryFn: () => payments(c) });
  const [expanded, setExpanded] = useState<string[]>([]);
  const second = useQueries({ queries: expanded.map((a) => ({ queryKey: ['payments', a], queryFn: () => payments(a) })) });
  const all = useMemo(() => {
    const list = [...(first.data ?? []), ...second.flatMap((q) => q.data ?? [])];
    const seen = new Set<string>();
    return edges(list.filter((p) => (seen.has(`${p.txHash}-${p.logIndex}`) ? false : (seen.add(`${p.txHash}-${p.logIndex}`), true))));
  }, [first.data, second]);

  const ring1 = useMemo(() => {
    const around = new Set<string>();
    for (const e of all) {
      if (e.from === c) around.add(e.to);
      if (e.to === c) around.add(e.from);
    }
    return [...around].slice(0, MOST);
  }, [all, c]);
  const ring2 = useMemo(() => {
    const inner = new Set([c, ...ring1]);
    const outer = new Set<string>();
    for (const e of all) {
      if (expanded.includes(e.from) && !inner.has(e.to)) outer.add(e.to);
      if (expanded.includes(e.to) && !inner.has(e.from)) outer.add(e.from);
    }
    return [...outer].slice(0, MOST * 2);
  }, [all, c, ring1, expanded]);

  const size = 420;
  const mid = size / 2;
  const place = (list: string[], radius: number) =>
    new Map(
      list.map((a, i) => [
        a,
        {
          x: mid + radius * Math.cos((2 * Math.PI * i) / list.length - Math.PI / 2),
          y: mid + radius * Math.sin((2 * Math.PI * i) / list.length - Math.PI / 2),
        },
      ]),
    );
  const at = new Map([[c, { x: mid, y: mid }], ...place(ring1, 120), ...place(ring2, 190)]);
  const shown = all.filter((e) => at.has(e.from) && at.has(e.to));

  return (
    <Loaded query={first}>
      {() => (
        <div className="flow">
          <svg viewBox={`0 0 ${size} ${size}`} width={size} height={size} role="img" aria-label={i18n.t('cases.flow')} data-testid="flow-graph">
            <defs>
              <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                <path d="M 0 0 L 10 5 L 0 10 z" fill="#64748b" />
              </marker>
            </defs>
            {shown.map((e) => {
              const a = at.get(e.from);
              const b = at.get(e.to);
              if (!a || !b) return null;
              return (
                <g key={`${e.from}>${e.to}`}>
                  <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} stroke="#94a3b8" strokeWidth={1.5} markerEnd="url(#arrow)" />
                  <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 3} className="edge-label">
                    {i18n.hours(e.total)}
                  </text>
                </g>
              );
            })}
            {[...at.entries()].map(([a, p]) => (
              <g key={a}>
                <circle cx={p.x} cy={p.y} r={a === c ? 16 : 10} className={a === c ? 'node center' : expanded.includes(a) ? 'node open' : 'node'} />
                <text x={p.x} y={p.y + (a === c ? 30 : 22)} className="node-label">
                  {a.slice(0, 6)}
                </text>
              </g>
            ))}
          </svg>
          <table>
            <thead>
              <tr>
                <th scope="col">{i18n.t('wallet.sent')}</th>
                <th scope="col">{i18n.t('wallet.received')}</th>
                <th scope="col" className="num">
                  {i18n.t('cases.amount')}
                </th>
                <th scope="col">{i18n.t('wallet.purpose')}</th>
                <th scope="col">{i18n.t('wallet.when')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => {
                const other = e.from === c ? e.to : e.to === c ? e.from : null;
                return (
                  <tr key={`${e.from}>${e.to}`}>
                    <td>
                      <Account address={e.from} />
                    </td>
                    <td>
                      <Account address={e.to} />
                    </td>
                    <td className="num">
                      {i18n.hours(e.total)} ({e.count})
                    </td>
                    <td>{i18n.w(enumWords('Purpose', e.last.purpose))}</td>
                    <td>{i18n.date(e.last.blockTime)}</td>
                    <td>
                      {other && !expanded.includes(other) ? (
                        <button type="button" onClick={() => setExpanded([...expanded, other])}>
                          +<span className="sr-only">{other}</span>
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Loaded>
  );
}
