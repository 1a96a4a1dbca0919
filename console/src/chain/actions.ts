// An action as the contract call it is: the console encodes every write it signs here, from the
// contracts' ABIs, and signs only when the gateway prepared exactly this call. The Rust client's
// `Action::call` is the other encoder; `actions.test.ts` checks both agree on every action the
// console makes (`src/generated/vectors.json`).
import { type Address, type Hex, encodeFunctionData, keccak256, parseUnits, stringToBytes, zeroHash } from 'viem';
import type { Action } from '../api/types';
import { abis, constants } from '../generated/chain';
import { enumValue } from './vocabulary';

/** Where the contracts are (the deployment's addresses, by name). */
export interface Contracts {
  forwarder: Address;
  identityRegistry: Address;
  credentialRegistry: Address;
  timeCoin: Address;
  serviceLedger: Address;
  supervisionDesk: Address;
}

/** A contract call and the texts whose hashes it carries. */
export interface Call {
  to: Address;
  data: Hex;
  texts: string[];
}

/** An action that can't be a call: what was wrong with which field. */
export class ActionError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ActionError';
  }
}

/** Hours as TIME base units: a positive decimal number with at most 18 decimals. */
export function hoursToUnits(text: string, field = 'hours'): bigint {
  const trimmed = text.trim();
  if (!/^\d+(\.\d{1,18})?$/.test(trimmed)) {
    throw new ActionError(field, `\`${field}\` is ${JSON.stringify(text)}; it must be hours as a decimal number`);
  }
  const units = parseUnits(trimmed, constants.decimals);
  if (units === 0n) throw new ActionError(field, `\`${field}\` must be more than 0`);
  return units;
}

function expiry(unix: number, field: string): number {
  if (!Number.isSafeInteger(unix) || unix < 0 || unix >= 2 ** 40) {
    throw new ActionError(field, `\`${field}\` is ${unix}; it must be unix seconds below 2^40`);
  }
  return unix;
}

/** The call `action` is, on `c`. */
export function encodeAction(action: Action, c: Contracts): Call {
  const texts: string[] = [];
  const text = (t: string, field: string): Hex => {
    const bytes = stringToBytes(t);
    if (t.trim() === '' || bytes.length > constants.maxText) {
      throw new ActionError(field, `\`${field}\` must be between 1 and ${constants.maxText} characters`);
    }
    texts.push(t);
    return keccak256(bytes);
  };
  const optionalText = (t: string | null | undefined, field: string): Hex => (t == null ? zeroHash : text(t, field));
  const ir = (data: Hex): Call => ({ to: c.identityRegistry, data, texts });
  const cr = (data: Hex): Call => ({ to: c.credentialRegistry, data, texts });
  const sl = (data: Hex): Call => ({ to: c.serviceLedger, data, texts });
  const tc = (data: Hex): Call => ({ to: c.timeCoin, data, texts });
  const sd = (data: Hex): Call => ({ to: c.supervisionDesk, data, texts });
  const IR = abis.IdentityRegistry;
  const CR = abis.CredentialRegistry;
  const SL = abis.ServiceLedger;
  const TC = abis.TimeCoin;
  const SD = abis.SupervisionDesk;
  const a = action;
  switch (a.action) {
    case 'approve_member':
      return ir(encodeFunctionData({ abi: IR, functionName: 'approveMember', args: [a.account as Address] }));
    case 'reject_member':
      return ir(encodeFunctionData({ abi: IR, functionName: 'rejectMember', args: [a.account as Address, text(a.reason, 'reason')] }));
    case 'suspend_member':
      return ir(encodeFunctionData({ abi: IR, functionName: 'suspendMember', args: [a.account as Address, text(a.reason, 'reason')] }));
    case 'reinstate_member':
      return ir(encodeFunctionData({ abi: IR, functionName: 'reinstateMember', args: [a.account as Address, text(a.reason, 'reason')] }));
    case 'request_move':
      return ir(encodeFunctionData({ abi: IR, functionName: 'requestMove', args: [a.account as Address, a.to_branch] }));
    case 'accept_move':
      return ir(encodeFunctionData({ abi: IR, functionName: 'acceptMove', args: [a.account as Address] }));
    case 'cancel_move':
      return ir(encodeFunctionData({ abi: IR, functionName: 'cancelMove', args: [a.account as Address] }));
    case 'set_risk_level':
      return ir(
        encodeFunctionData({
          abi: IR,
          functionName: 'setRiskLevel',
          args: [a.account as Address, enumValue('RiskLevel', a.level), text(a.reason, 'reason')],
        }),
      );
    case 'raise_risk_alert':
      return ir(encodeFunctionData({ abi: IR, functionName: 'raiseRiskAlert', args: [a.account as Address, text(a.reason, 'reason')] }));
    case 'assess_risk_alert':
      return ir(
        encodeFunctionData({
          abi: IR,
          functionName: 'assessRiskAlert',
          args: [BigInt(a.alert_id), enumValue('RiskLevel', a.level), text(a.reason, 'reason')],
        }),
      );
    case 'issue_credential':
    case 'renew_credential':
      return cr(
        encodeFunctionData({
          abi: CR,
          functionName: a.action === 'issue_credential' ? 'issueCredential' : 'renewCredential',
          args: [a.account as Address, a.type_id, a.document_hash as Hex, expiry(a.expires_at, 'expires_at')],
        }),
      );
    case 'revoke_credential':
      return cr(encodeFunctionData({ abi: CR, functionName: 'revokeCredential', args: [a.account as Address, a.type_id, text(a.reason, 'reason')] }));
    case 'create_activity':
      return sl(
        encodeFunctionData({
          abi: SL,
          functionName: 'createActivity',
          args: [
            a.branch_id,
            enumValue('ActivityKind', a.kind),
            hoursToUnits(a.hours_cap, 'hours_cap'),
            a.required_credential_type,
            text(a.details, 'details'),
          ],
        }),
      );
    case 'close_activity':
      return sl(encodeFunctionData({ abi: SL, functionName: 'closeActivity', args: [BigInt(a.activity_id)] }));
    case 'join_activity':
      return sl(encodeFunctionData({ abi: SL, functionName: 'joinActivity', args: [BigInt(a.activity_id)] }));
    case 'record_hours':
      return sl(
        encodeFunctionData({ abi: SL, functionName: 'recordHours', args: [BigInt(a.activity_id), a.volunteer as Address, hoursToUnits(a.hours)] }),
      );
    case 'confirm_hours':
      return sl(encodeFunctionData({ abi: SL, functionName: 'confirmHours', args: [BigInt(a.activity_id), hoursToUnits(a.hours)] }));
    case 'settle':
      return sl(encodeFunctionData({ abi: SL, functionName: 'settle', args: [BigInt(a.activity_id), a.volunteer as Address] }));
    case 'pay':
      // The coin refuses a member's own service payment (TimeCoinUnrecordedServicePayment).
      if (a.purpose === 'service_payment') {
        throw new ActionError(
          'purpose',
          '`purpose` is service_payment: a service is paid when its requester confirms it (the provider proposes it with propose_service, the requester pays with confirm_service); a payment of your own is a gift',
        );
      }
      if (a.purpose !== 'gift') {
        throw new ActionError('purpose', `\`purpose\` is ${a.purpose}; a member's own payment is a gift`);
      }
      return tc(
        encodeFunctionData({
          abi: TC,
          functionName: 'pay',
          args: [a.to as Address, hoursToUnits(a.hours), enumValue('Purpose', a.purpose), optionalText(a.reference, 'reference')],
        }),
      );
    case 'decide_case':
      if (a.outcome !== 'cleared' && a.outcome !== 'confirmed') {
        throw new ActionError('outcome', `\`outcome\` is ${a.outcome}; a decision is cleared or confirmed`);
      }
      return sd(
        encodeFunctionData({
          abi: SD,
          functionName: 'decideCase',
          args: [BigInt(a.case_id), enumValue('CaseStatus', a.outcome), text(a.note, 'note'), enumValue('RiskLevel', a.risk_level)],
        }),
      );
    case 'adopt_hold':
      return sd(encodeFunctionData({ abi: SD, functionName: 'adoptHold', args: [BigInt(a.hold_id)] }));
    default:
      throw new ActionError('action', `the console does not make \`${a.action}\`; use the timebank CLI`);
  }
}
