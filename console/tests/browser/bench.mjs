// `make bench-console`: the console's figures on `make up`'s stack, as BENCH lines.
// - console_js_gzip_kb: the JavaScript a first visit downloads, gzipped (target < 300 KB);
// - console_first_load_p50_ms: navigation to the sign-in screen ready for input, cold cache,
//   loopback (target < 1 s);
// - console_inbox_*: a supervisor's inbox with 10,000 open cases: the first rows, how many of
//   them the page holds and draws, and scrolling to the last (the page loads a page of cases
//   at a time and draws only the rows in view);
// - console_alert_to_screen_p50/p99_ms: from a payment's block, with a rule hit, to its case on
//   a supervisor's screen through the live stream (target p99 < 1 s).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import ts from 'typescript';
import { createPublicClient, createWalletClient, encodeFunctionData, http, isAddressEqual, parseEther, parseUnits, zeroHash } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { root, startStack } from './stack.mjs';

// The contracts' vocabulary the console is built with (TypeScript, so transpiled first).
const source = readFileSync(join(root, 'console/src/generated/chain.ts'), 'utf8');
const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext } }).outputText;
const { abis, constants, enums, roleIds } = await import(`data:text/javascript,${encodeURIComponent(js)}`);

const CASES = Number(process.env.TIMEBANK_BENCH_CASES ?? 10_000);
const LOADS = 21;
const HITS = 100;

const bench = (name, value, unit) => console.log(`BENCH ${name} ${value} ${unit}`);
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

// The JavaScript of a first visit.
const assets = join(root, 'console/dist/assets');
const scripts = readdirSync(assets).filter((f) => f.endsWith('.js'));
const gzipped = scripts.reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
bench('console_js_gzip_kb', (gzipped / 1024).toFixed(1), 'KB');

const stack = await startStack();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const north = stack.gateways[0];
  const d = stack.deployment;
  const rpc = stack.rpc;
  const chain = { id: d.chainId, name: 'anvil', nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpc] } } };
  const reader = createPublicClient({ chain, transport: http(rpc) });
  const wallet = (key) => createWalletClient({ account: privateKeyToAccount(key), chain, transport: http(rpc) });

  // First load, cold each time.
  const loads = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(`${north}/`);
    await page.getByRole('button', { name: '用演示账户登录' }).waitFor();
    loads.push(await page.evaluate(() => performance.now()));
    await context.close();
  }
  bench('console_first_load_p50_ms', percentile(loads, 50).toFixed(0), 'ms');

  // 10,000 open cases, opened by a monitoring agent as fast as anvil takes them.
  const admin = wallet(stack.accounts.admin.key);
  const agent = wallet(generatePrivateKey());
  const members = Object.values(stack.accounts).filter((a) => a.name.startsWith('member-'));
  await reader.waitForTransactionReceipt({ hash: await admin.sendTransaction({ to: agent.account.address, value: parseEther('10') }) });
  await reader.waitForTransactionReceipt({
    hash: await admin.writeContract({
      address: d.access,
      abi: abis.TimebankAccess,
      functionName: 'grantRole',
      args: [roleIds.MONITORING_AGENT, agent.account.address],
    }),
  });
  // Signed here, sent at once, mined a few hundred a block (automine off meanwhile).
  const fees = await reader.estimateFeesPerGas();
  const nonce = await reader.getTransactionCount({ address: agent.account.address });
  const opening = Date.now();
  const signed = [];
  for (let i = 0; i < CASES; i++) {
    const target = members[i % members.length].address;
    signed.push(
      await agent.account.signTransaction({
        chainId: d.chainId,
        type: 'eip1559',
        to: d.supervisionDesk,
        data: encodeFunctionData({ abi: abis.SupervisionDesk, functionName: 'openCase', args: [target, target, zeroHash] }),
        nonce: nonce + i,
        gas: 300_000n,
        maxFeePerGas: fees.maxFeePerGas * 2n,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      }),
    );
  }
  await reader.request({ method: 'evm_setAutomine', params: [false] });
  let last;
  for (let i = 0; i < signed.length; i += 200) {
    const hashes = await Promise.all(signed.slice(i, i + 200).map((tx) => reader.sendRawTransaction({ serializedTransaction: tx })));
    last = hashes[hashes.length - 1];
    await reader.request({ method: 'evm_mine', params: [] });
  }
  await reader.request({ method: 'evm_setAutomine', params: [true] });
  const { blockNumber } = await reader.waitForTransactionReceipt({ hash: last });
  for (;;) {
    const ready = await (await fetch(`${north}/ready`)).json();
    if (ready.indexedBlock >= Number(blockNumber)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  bench('console_inbox_cases_opened', CASES, 'cases');
  bench('console_inbox_setup_s', ((Date.now() - opening) / 1000).toFixed(1), 's');

  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(120_000);
  const page = await context.newPage();
  let pages = 0;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/v1/cases') pages++;
  });
  await page.goto(`${north}/`);
  const demo = page.getByTestId('demo-wallet');
  await demo.locator('select').selectOption('supervisor');
  await demo.getByRole('button').click();
  await page.getByRole('navigation').waitFor();
  const opened = Date.now();
  await page.goto(`${north}/#/cases`);
  await page.getByTestId('case-row').first().waitFor();
  bench('console_inbox_first_rows_ms', Date.now() - opened, 'ms');
  bench('console_inbox_pages_loaded_at_first', pages, 'pages');
  bench('console_inbox_rows_drawn', await page.getByTestId('case-row').count(), 'rows');
  // Scroll to the end: the next pages load as the last rows come into view.
  const scrolling = Date.now();
  let drawnMost = 0;
  for (;;) {
    const done = await page.evaluate((total) => {
      const inbox = document.querySelector('[data-testid=case-inbox]');
      inbox.scrollTop = inbox.scrollHeight;
      const count = document.querySelector('[data-testid=case-count]')?.textContent ?? '';
      return !count.includes('+') && Number(count.replace(/\D/g, '')) >= total;
    }, CASES);
    drawnMost = Math.max(drawnMost, await page.getByTestId('case-row').count());
    if (done) break;
    if (Date.now() - scrolling > 300_000) throw new Error('the inbox did not reach its end in 5 minutes');
    await page.waitForTimeout(20);
  }
  bench('console_inbox_scroll_to_end_ms', Date.now() - scrolling, 'ms');
  bench('console_inbox_pages_loaded', pages, 'pages');
  bench('console_inbox_rows_drawn_most', drawnMost, 'rows');

  // Rule hits to the screen: the 20th payment of a day fires velocity, and every one after it.
  await page.goto(`${north}/#/alerts`);
  await page.getByTestId('live').waitFor({ state: 'attached' });
  await page.evaluate(() => {
    window.__seen = {};
    new MutationObserver(() => {
      for (const li of document.querySelectorAll('[data-testid=live] li')) {
        const id = li.textContent.match(/#(\d+)/)?.[1];
        if (id && !(id in window.__seen)) window.__seen[id] = Date.now();
      }
    }).observe(document.querySelector('[data-testid=live]'), { childList: true, subtree: true });
  });
  const payer = wallet(members[0].key);
  const payee = members[1].address;
  const latencies = [];
  const amount = parseUnits('0.01', constants.decimals);
  const gift = enums.Purpose.find((p) => p.name === 'gift').value;
  for (let i = 0; latencies.length < HITS; i++) {
    if (i > HITS + 40) throw new Error(`only ${latencies.length} of ${i} payments fired a rule`);
    const before = await page.evaluate(() => Object.keys(window.__seen));
    const hash = await payer.writeContract({ address: d.timeCoin, abi: abis.TimeCoin, functionName: 'pay', args: [payee, amount, gift, zeroHash] });
    const mined = Date.now(); // anvil mines on each transaction: the block exists when it answers
    const receipt = await reader.waitForTransactionReceipt({ hash });
    // The desk logs during a payment only when a rule opened a case.
    if (!receipt.logs.some((l) => isAddressEqual(l.address, d.supervisionDesk))) continue;
    const seen = await page.waitForFunction((known) => Object.entries(window.__seen).find(([id]) => !known.includes(id))?.[1], before, {
      timeout: 10_000,
    });
    latencies.push((await seen.jsonValue()) - mined);
  }
  bench('console_alert_to_screen_p50_ms', percentile(latencies, 50), 'ms');
  bench('console_alert_to_screen_p99_ms', percentile(latencies, 99), 'ms');
  await context.close();
} finally {
  await browser.close();
  await stack.stop();
}
