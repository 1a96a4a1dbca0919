import { type Address, type Hex, hashTypedData } from 'viem';
import { describe, expect, it } from 'vitest';
import type { Action } from '../api/types';
import vectors from '../generated/vectors.json';
import { ActionError, encodeAction, hoursToUnits } from './actions';
import { RefusedError, checkPrepared, forwardTypedData } from './forward';

const contracts = vectors.addresses as Record<string, Address> as unknown as Parameters<typeof encodeAction>[1];

describe('the console encodes every action as the Rust client does', () => {
  it.each(vectors.vectors.map((v) => [v.action.action, v] as const))('%s', (_, v) => {
    const call = encodeAction(v.action as Action, contracts);
    expect(call.to.toLowerCase()).toBe(v.to.toLowerCase());
    expect(call.data).toBe(v.data);
  });

  it('covers every action it makes', () => {
    expect(new Set(vectors.vectors.map((v) => v.action.action)).size).toBeGreaterThanOrEqual(22);
  });
});

describe('bad input gets a clear error', () => {
  it('refuses hours that are not a positive decimal', () => {
    expect(() => hoursToUnits('0')).toThrow(ActionError);
    expect(() => hoursToUnits('-1')).toThrow(/decimal number/);
    expect(() => hoursToUnits('1.0000000000000000001')).toThrow(/decimal number/);
    expect(() => hoursToUnits('1e3')).toThrow(/decimal number/);
    expect(hoursToUnits('1.5')).toBe(1_500_000_000_000_000_000n);
  });

  it('refuses empty reasons and payments of other purposes', () => {
    const account = '0x00000000000000000000000000000000000000a1';
    expect(() => encodeAction({ action: 'reject_member', account, reason: '  ' }, contracts)).toThrow(/reason/);
    expect(() => encodeAction({ action: 'pay', to: account, hours: '1', purpose: 'activity_reward', reference: null }, contracts)).toThrow(/purpose/);
    // A gift labelled a service payment: a service is paid by confirming it.
    expect(() => encodeAction({ action: 'pay', to: account, hours: '1', purpose: 'service_payment', reference: null }, contracts)).toThrow(
      /confirm_service/,
    );
  });
});

describe('the forward request', () => {
  it('hashes as the forwarder does (the Rust vector)', () => {
    const s = vectors.signing;
    const request = {
      from: s.request.from as Address,
      to: s.request.to as Address,
      gas: BigInt(s.request.gas),
      nonce: BigInt(s.request.nonce),
      deadline: s.request.deadline,
      data: s.request.data as Hex,
    };
    expect(hashTypedData(forwardTypedData(s.chainId, contracts.forwarder, request))).toBe(s.hash);
  });

  const from = '0x00000000000000000000000000000000000000a1' as Address;
  const call = encodeAction({ action: 'join_activity', activity_id: 3 }, contracts);
  const prepared = { from, to: call.to, data: call.data, gas: 1_000_000, nonce: 4, deadline: 1_000_600, typedData: {} };

  it('signs what the gateway prepared when it is the call asked for', () => {
    expect(checkPrepared(call, prepared, from, 1_000_000).nonce).toBe(4n);
  });

  it.each([
    ['another call', { data: encodeAction({ action: 'join_activity', activity_id: 4 }, contracts).data }],
    ['another contract', { to: contracts.timeCoin }],
    ['another signer', { from: '0x00000000000000000000000000000000000000b2' }],
    ['too much gas', { gas: 50_000_000 }],
    ['a year-long deadline', { deadline: 1_000_000 + 365 * 86_400 }],
  ])('refuses %s', (_, lie) => {
    expect(() => checkPrepared(call, { ...prepared, ...lie }, from, 1_000_000)).toThrow(RefusedError);
  });
});

describe('the profile commitment', () => {
  it('is the Rust client’s (RFC 8785, keccak256 with the context)', async () => {
    const { commitment } = await import('./profile');
    expect(commitment(vectors.commitment.profile)).toBe(vectors.commitment.commitment);
  });
});
