// A test EIP-1193 wallet injected into the page, as a browser extension injects one: the page
// asks `window.ethereum`; the key stays in the test process, which signs with it (real
// secp256k1 signatures) and records what it was asked to sign.
import { privateKeyToAccount } from 'viem/accounts';

export async function injectWallet(page, key, chainId) {
  const account = privateKeyToAccount(key);
  const signed = [];
  await page.exposeFunction('__timebankTestWallet', async (method, params) => {
    switch (method) {
      case 'eth_requestAccounts':
      case 'eth_accounts':
        return [account.address];
      case 'eth_chainId':
        return `0x${chainId.toString(16)}`;
      case 'personal_sign': {
        const [message] = params;
        signed.push({ method, message });
        return account.signMessage({ message: { raw: message } });
      }
      case 'eth_signTypedData_v4': {
        const [, json] = params;
        const typed = JSON.parse(json);
        signed.push({ method, typed });
        const types = { ...typed.types };
        delete types.EIP712Domain;
        return account.signTypedData({ ...typed, types });
      }
      default:
        throw new Error(`the test wallet does not do ${method}`);
    }
  });
  await page.addInitScript(() => {
    window.ethereum = {
      request: ({ method, params }) => window.__timebankTestWallet(method, params ?? []),
      on() {},
      removeListener() {},
    };
  });
  return { address: account.address, signed };
}
