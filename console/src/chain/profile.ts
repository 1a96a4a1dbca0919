// A member profile's on-chain commitment: keccak256(context ‖ RFC 8785 JSON of the salted
// profile), as `timebank_client::profile` computes it. The console checks the commitment the
// gateway asks an operator to sign.
import canonicalize from 'canonicalize';
import { type Address, type Hex, concatBytes, decodeFunctionData, encodeFunctionData, isAddressEqual, keccak256, stringToBytes } from 'viem';
import type { components } from '../generated/api';
import { abis, constants } from '../generated/chain';
import type { Call } from './actions';
import { RefusedError } from './forward';

type Sealed = components['schemas']['Sealed'];

export function commitment(profile: unknown): Hex {
  const canonical = canonicalize(profile);
  if (canonical === undefined) throw new RefusedError('the profile is not JSON');
  const bytes = stringToBytes(canonical);
  if (bytes.length > constants.profileMaxBytes) throw new RefusedError(`the profile is ${bytes.length} bytes; at most ${constants.profileMaxBytes}`);
  return keccak256(concatBytes([stringToBytes(constants.profileContext), bytes]));
}

/** Checks that the gateway's sealed package submits `fields` (with only a salt added) for
 * `account` at `branch`, committing to the profile it returned; returns the call to sign. */
export function checkSealed(sealed: Sealed, account: Address, branch: number, fields: Record<string, unknown>, registry: Address): Call {
  const profile = sealed.profile as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    if (canonicalize(profile[key]) !== canonicalize(value)) throw new RefusedError(`the sealed profile changed \`${key}\``);
  }
  const added = Object.keys(profile).filter((k) => !(k in fields));
  if (added.some((k) => k !== 'salt')) throw new RefusedError(`the sealed profile adds ${added.join(', ')}`);
  const expected = commitment(profile);
  if (sealed.commitment.toLowerCase() !== expected) throw new RefusedError('the commitment is not of the sealed profile');
  if (!isAddressEqual(sealed.to as Address, registry)) throw new RefusedError('the package goes to another contract');
  const call = decodeFunctionData({ abi: abis.IdentityRegistry, data: sealed.data as Hex });
  if (call.functionName !== 'submitMember') throw new RefusedError(`the package is a ${call.functionName} call`);
  const [who, branchId] = call.args;
  if (!isAddressEqual(who, account)) throw new RefusedError(`the package is for ${who}, not ${account}`);
  if (branchId !== branch) throw new RefusedError(`the package submits at branch ${branchId}, not ${branch}`);
  // The person's uniqueness key is no part of it (the branch's gateway binds it from the sealed
  // profile): the whole call is rebuilt from what was checked.
  const data = encodeFunctionData({
    abi: abis.IdentityRegistry,
    functionName: 'submitMember',
    args: [account, branch, expected, sealed.encryptedData as Hex],
  });
  if (data !== sealed.data.toLowerCase()) throw new RefusedError('the package is not exactly the call it says');
  return { to: registry, data, texts: [] };
}
