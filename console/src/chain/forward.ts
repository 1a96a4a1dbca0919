// The ERC-2771 forward request a wallet signs: built here from the call the console encoded and
// the nonce, gas and deadline the gateway proposed, once those are checked. The gateway's own
// typed data is never signed.
import { type Address, type Hex, type TypedDataDomain, isAddressEqual } from 'viem';
import type { Prepared } from '../api/types';
import { constants } from '../generated/chain';
import type { Call } from './actions';

/** The gateway asked for a signature over something other than what was asked for. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedError';
  }
}

/** What the wallet signs: the request's fields (the contracts take no value). */
export interface ForwardRequest {
  from: Address;
  to: Address;
  gas: bigint;
  nonce: bigint;
  deadline: number;
  data: Hex;
}

/** Checks the gateway's preparation against the call the console encoded for `from`, and
 * returns the request to sign. `now` is unix seconds. */
export function checkPrepared(call: Call, prepared: Prepared, from: Address, now: number): ForwardRequest {
  if (!isAddressEqual(prepared.from as Address, from)) {
    throw new RefusedError(`the request is from ${prepared.from}, not ${from}`);
  }
  if (!isAddressEqual(prepared.to as Address, call.to) || prepared.data.toLowerCase() !== call.data.toLowerCase()) {
    throw new RefusedError('the gateway prepared another call than the one asked for');
  }
  if (!(prepared.gas > 0 && prepared.gas <= constants.maxGas)) {
    throw new RefusedError(`the gateway asks for ${prepared.gas} gas`);
  }
  if (prepared.deadline > now + constants.longestDeadlineSecs) {
    throw new RefusedError(`the deadline ${prepared.deadline} is more than a day away`);
  }
  return { from, to: call.to, gas: BigInt(prepared.gas), nonce: BigInt(prepared.nonce), deadline: prepared.deadline, data: call.data };
}

/** The forwarder's EIP-712 domain on `chainId`. */
export function forwardDomain(chainId: number, forwarder: Address): TypedDataDomain {
  return { name: constants.domainName, version: constants.domainVersion, chainId, verifyingContract: forwarder };
}

/** The typed data of `request` (`eth_signTypedData_v4`). */
export function forwardTypedData(chainId: number, forwarder: Address, request: ForwardRequest) {
  return {
    domain: forwardDomain(chainId, forwarder),
    types: { ForwardRequest: constants.forwardRequestType },
    primaryType: 'ForwardRequest',
    message: { ...request, value: 0n, deadline: request.deadline },
  } as const;
}
