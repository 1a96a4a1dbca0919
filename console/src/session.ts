// Sign-in (EIP-4361, signed by the person's wallet) and every write: encoded here, prepared and
// checked by the gateway, checked again here, signed as an EIP-712 forward request built here,
// relayed, and followed until this branch has indexed it.
import { type Address, isAddressEqual } from 'viem';
import { createSiweMessage } from 'viem/siwe';
import { api, ok, setToken } from './api/client';
import type { Action, ConsoleDeployment, Me, MonitorVerdict, Prepared, Relayed, SignedRequest } from './api/types';
import { type Call, type Contracts, encodeAction } from './chain/actions';
import { checkPrepared, forwardTypedData } from './chain/forward';
import type { Wallet } from './wallet/wallet';

/** The wallet is on another network than the platform. */
export class WrongChainError extends Error {
  constructor(
    readonly wallet: number,
    readonly chain: number,
  ) {
    super(`the wallet is on chain ${wallet}, the platform on chain ${chain}`);
    this.name = 'WrongChainError';
  }
}

/** The gateway asked to be signed in to as something other than what this page talks to. */
export class SignInRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignInRefused';
  }
}

export interface Session {
  wallet: Wallet;
  deployment: ConsoleDeployment;
  me: Me;
}

export function contractsOf(deployment: ConsoleDeployment): Contracts {
  const c = deployment.contracts;
  const need = (name: keyof Contracts): Address => {
    const address = c[name];
    if (!address) throw new Error(`the deployment names no ${name}`);
    return address as Address;
  };
  return {
    forwarder: need('forwarder'),
    identityRegistry: need('identityRegistry'),
    credentialRegistry: need('credentialRegistry'),
    timeCoin: need('timeCoin'),
    serviceLedger: need('serviceLedger'),
    supervisionDesk: need('supervisionDesk'),
  };
}

/** Signs in with `wallet` at this origin's gateway. Refuses to sign a message for another
 * domain, URI or chain than the one this page talks to. */
export async function signIn(wallet: Wallet, deployment: ConsoleDeployment): Promise<Session> {
  const walletChain = await wallet.chainId();
  if (walletChain !== deployment.chainId) throw new WrongChainError(walletChain, deployment.chainId);
  const nonce = await ok(api.POST('/v1/auth/nonce'));
  if (nonce.domain !== location.host) {
    throw new SignInRefused(`the gateway asks to be signed in to as ${nonce.domain}, not ${location.host}`);
  }
  if (nonce.uri.replace(/\/$/, '') !== location.origin) {
    throw new SignInRefused(`the gateway asks to be signed in to at ${nonce.uri}, not ${location.origin}`);
  }
  if (nonce.chainId !== deployment.chainId) {
    throw new SignInRefused(`the gateway is on chain ${nonce.chainId}, not ${deployment.chainId}`);
  }
  const now = new Date();
  const message = createSiweMessage({
    domain: nonce.domain,
    address: wallet.address,
    statement: 'Sign in to timebank.',
    uri: location.origin,
    version: '1',
    chainId: deployment.chainId,
    nonce: nonce.nonce,
    issuedAt: now,
    expirationTime: new Date(now.getTime() + 3600_000),
  });
  const signature = await wallet.signMessage(message);
  const login = await ok(api.POST('/v1/auth/login', { body: { message, signature } }));
  if (!isAddressEqual(login.address as Address, wallet.address)) {
    throw new SignInRefused(`the gateway signed in ${login.address}, not ${wallet.address}`);
  }
  setToken(login.token);
  const me = await ok(api.GET('/v1/auth/me'));
  return { wallet, deployment, me };
}

export async function signOut() {
  try {
    await api.POST('/v1/auth/logout');
  } finally {
    setToken(null);
  }
}

/** A write checked and ready to sign. */
export interface Checked {
  /** The action, when the write is one (a sealed profile is a call the console checked). */
  action: Action | null;
  call: Call;
  prepared: Prepared;
  verdict: MonitorVerdict | null;
}

/** Encodes `action`, has the gateway prepare it, and checks the preparation is that call. */
export async function prepare(session: Session, action: Action): Promise<Checked> {
  const call = encodeAction(action, contractsOf(session.deployment));
  const prepared = await ok(api.POST('/v1/prepare', { body: action }));
  checkPrepared(call, prepared, session.wallet.address, Math.floor(Date.now() / 1000));
  return { action, call, prepared, verdict: prepared.monitor ?? null };
}

/** Has the gateway prepare a call the console checked itself (a sealed profile's), and checks
 * the preparation is that call. */
export async function prepareCall(session: Session, call: Call): Promise<Checked> {
  const prepared = await ok(api.POST('/v1/prepare/call', { body: { to: call.to, data: call.data } }));
  checkPrepared(call, prepared, session.wallet.address, Math.floor(Date.now() / 1000));
  return { action: null, call, prepared, verdict: prepared.monitor ?? null };
}

/** Signs the request built here from a checked write (never the gateway's typed data). */
export async function sign(session: Session, checked: Checked): Promise<SignedRequest> {
  const request = checkPrepared(checked.call, checked.prepared, session.wallet.address, Math.floor(Date.now() / 1000));
  const { chainId } = session.deployment;
  const signature = await session.wallet.signTypedData(forwardTypedData(chainId, contractsOf(session.deployment).forwarder, request));
  return {
    from: request.from,
    to: request.to,
    gas: Number(request.gas),
    nonce: Number(request.nonce),
    deadline: request.deadline,
    data: request.data,
    signature,
  };
}

/** Has the gateway relay a signed request; the answer comes once it is mined. */
export function relay(signed: SignedRequest): Promise<Relayed> {
  return ok(api.POST('/v1/relay', { body: signed }));
}

/** Waits until this branch's index has block `block` (what the console then reads includes
 * the write). */
export async function untilIndexed(block: number, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const { data } = await api.GET('/ready');
    if (data?.indexedBlock != null && data.indexedBlock >= block) return;
    if (Date.now() - started > timeoutMs) throw new Error(`block ${block} is not indexed after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
