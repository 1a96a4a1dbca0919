// The gateway's live stream (Server-Sent Events over fetch, which can send the session's
// token): new cases, decisions and alerts appear without a reload, and the lists refresh.
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { getToken } from './api/client';
import { ruleWords, severityWords } from './chain/vocabulary';
import { rules } from './generated/chain';
import { ownHalf, useI18n } from './i18n/i18n';

interface LiveEvent {
  id: number;
  event: string;
  fields: Record<string, unknown>;
}

/** Splits a Server-Sent Events stream into (event name, data) pairs. */
export function parseEvents(buffer: string): { events: { event: string; data: string }[]; rest: string } {
  const events: { event: string; data: string }[] = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

export function LiveFeed() {
  const i18n = useI18n();
  const queries = useQueryClient();
  const [events, setEvents] = useState<LiveEvent[]>([]);
  useEffect(() => {
    const stop = new AbortController();
    let next = 0;
    // What is on screen refreshes at most once a second, however many events arrive; the case
    // inbox is not refetched (its pages stay where the supervisor is; new cases join its end
    // and its refresh button brings them in).
    let pending: ReturnType<typeof setTimeout> | undefined;
    const refresh = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        void queries.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'inbox' });
      }, 1000);
    };
    (async () => {
      const token = getToken();
      if (!token) return;
      const response = await fetch('/v1/events', { headers: { Authorization: `Bearer ${token}` }, signal: stop.signal });
      if (!response.ok || !response.body) return;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const parsed = parseEvents(buffer + value);
        buffer = parsed.rest;
        for (const e of parsed.events) {
          if (e.event === 'closed') return;
          let body: { event?: string; fields?: Record<string, unknown> };
          try {
            body = JSON.parse(e.data);
          } catch {
            continue;
          }
          const item = { id: next++, event: body.event ?? e.event, fields: body.fields ?? {} };
          setEvents((list) => [item, ...list].slice(0, 8));
          refresh();
        }
      }
    })().catch(() => undefined);
    return () => {
      stop.abort();
      clearTimeout(pending);
    };
  }, [queries]);

  const words = (e: LiveEvent) => {
    const id = String(e.fields.caseId ?? e.fields.alertId ?? '');
    switch (e.event) {
      case 'CaseOpened': {
        const bits = Number(e.fields.rules ?? 0);
        const fired = rules.filter((r) => (bits & r.bit) !== 0).map((r) => i18n.w(ruleWords(r.name)));
        return i18n.t('live.case', { id, rules: fired.join('、') });
      }
      case 'CaseDecided':
        return i18n.t('live.decided', { id });
      case 'RiskAlertRaised':
        return i18n.t('live.alert', { id });
      case 'PlatformFinding': {
        const text = ownHalf(String(e.fields.summary ?? ''), i18n.locale);
        return i18n.t('live.platform', { severity: i18n.w(severityWords(String(e.fields.severity ?? ''))), text });
      }
      default:
        return i18n.t('live.event', { event: e.event });
    }
  };

  return (
    <aside className="live" aria-labelledby="live-title">
      <h2 id="live-title">{i18n.t('live.title')}</h2>
      <ul aria-live="polite" data-testid="live">
        {events.map((e) => (
          <li key={e.id}>{words(e)}</li>
        ))}
      </ul>
    </aside>
  );
}
