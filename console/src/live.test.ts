import { describe, expect, it } from 'vitest';
import { parseEvents } from './live';

describe('the live stream parser', () => {
  it('splits events and keeps a partial one for the next chunk', () => {
    const { events, rest } = parseEvents('event: CaseOpened\ndata: {"a":1}\n\n: keep-alive\n\nevent: Case');
    expect(events).toEqual([{ event: 'CaseOpened', data: '{"a":1}' }]);
    expect(rest).toBe('event: Case');
  });

  it('joins multi-line data', () => {
    expect(parseEvents('data: a\ndata: b\n\n').events).toEqual([{ event: 'message', data: 'a\nb' }]);
  });
});
