// A wallet signs sign-in messages and forward requests: the person's own browser wallet
// (EIP-1193: MetaMask, Rabby, ...) or, on a development chain only, a demo account's key.
import { type Address, type EIP1193Provider, type Hex, createWalletClient, custom, getAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { constants } from '../generated/chain';

type TypedData = Parameters<ReturnType<typeof privateKeyToAccount>['signTypedData']>[0];

export interface Wallet {
  address: Address;
  /** `injected` or `demo`. */
  kind: 'injected' | 'demo';
  /** The chain the wallet signs for (a browser wallet's current network). */
  chainId: () => Promise<number>;
  signMessage: (message: string) => Promise<Hex>;
  signTypedData: (typedData: TypedData) => Promise<Hex>;
}

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

/** The browser's wallet, if there is one. */
export function injectedProvider(): EIP1193Provider | undefined {
  return window.ethereum;
}

/** Connects to the browser's wallet (it asks the person which account). */
export async function connectInjected(provider: EIP1193Provider): Promise<Wallet> {
  const [first] = await provider.request({ method: 'eth_requestAccounts' });
  if (!first) throw new Error('the wallet shared no account');
  const address = getAddress(first);
  const client = createWalletClient({ account: address, transport: custom(provider) });
  return {
    address,
    kind: 'injected',
    chainId: () => client.getChainId(),
    signMessage: (message) => client.signMessage({ account: address, message }),
    signTypedData: (typedData) => client.signTypedData({ account: address, ...typedData }),
  };
}

/** Whether a demo wallet may exist on `chainId`: anvil's development chain only, whose keys
 * everyone knows. On any other chain, none is offered, whatever a gateway says. */
export function demoWalletAllowed(chainId: number): boolean {
  return chainId === constants.devChainId;
}

/** A demo account's wallet, on the development chain only. */
export function demoWallet(key: Hex, chainId: number): Wallet {
  if (!demoWalletAllowed(chainId)) throw new Error(`no demo wallet on chain ${chainId}`);
  const account = privateKeyToAccount(key);
  return {
    address: account.address,
    kind: 'demo',
    chainId: async () => chainId,
    signMessage: (message) => account.signMessage({ message }),
    signTypedData: (typedData) => account.signTypedData(typedData),
  };
}
