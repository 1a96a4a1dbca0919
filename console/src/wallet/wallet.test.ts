import { describe, expect, it } from 'vitest';
import { constants } from '../generated/chain';
import { demoWallet, demoWalletAllowed } from './wallet';

// anvil's first well-known development key (public).
const key = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

describe('the demo wallet', () => {
  it("exists on anvil's chain id", async () => {
    expect(demoWalletAllowed(constants.devChainId)).toBe(true);
    const wallet = demoWallet(key, constants.devChainId);
    expect(wallet.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(await wallet.signMessage('hello')).toMatch(/^0x[0-9a-f]{130}$/);
  });

  it.each([1, 5, 1337, 2026, 31338])('does not exist on chain %i', (chainId) => {
    expect(demoWalletAllowed(chainId)).toBe(false);
    expect(() => demoWallet(key, chainId)).toThrow(/no demo wallet/);
  });
});
