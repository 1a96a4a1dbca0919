// The console in a real headless Chromium against `make up`'s stack: one test per role's main
// flow, driven through the page, signing with real keys (an injected EIP-1193 wallet, or the
// demo wallet on this development chain). A failing test leaves a screenshot and a Playwright
// trace in target/console-browser/.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { root, startStack } from './stack.mjs';
import { injectWallet } from './wallet.mjs';

const out = join(root, 'target/console-browser');
const shots = process.env.TIMEBANK_UPDATE_SCREENSHOTS ? join(root, 'docs/console') : join(out, 'screens');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
mkdirSync(shots, { recursive: true });
const axeSource = readFileSync(join(root, 'console/node_modules/axe-core/axe.min.js'), 'utf8');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT = 30_000;

let stack;
let browser;
let north;

before(async () => {
  stack = await startStack();
  north = stack.gateways[0];
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A fresh browser context and page for `name`: on failure, its screenshot and trace stay. */
async function withPage(name, body, { wallet, chainId } = {}) {
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  await context.tracing.start({ screenshots: true, snapshots: true });
  // Init scripts come in through the browser, not the page: the console's CSP stays on.
  await context.addInitScript({ content: axeSource });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err));
  const injected = wallet ? await injectWallet(page, wallet.key, chainId ?? stack.deployment.chainId) : null;
  try {
    await body(page, injected);
    assert.deepEqual(errors, [], 'no uncaught errors in the page');
    await context.tracing.stop();
  } catch (err) {
    await page.screenshot({ path: join(out, `${name}.png`), fullPage: true }).catch(() => {});
    await context.tracing.stop({ path: join(out, `${name}.trace.zip`) }).catch(() => {});
    throw err;
  } finally {
    await context.close();
  }
}

/** No serious or critical axe-core violation on what the page shows now. */
async function accessible(page, screen) {
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `axe-core on ${screen}`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** Signs in with the injected wallet, as someone with a browser wallet does. */
async function walletSignIn(page, gateway = north) {
  await page.goto(`${gateway}/`);
  await page.getByRole('button', { name: '用浏览器钱包登录' }).click();
  await page.getByRole('navigation').waitFor();
}

/** Signs in with the demo wallet's account `who` (anvil's chain only). */
async function demoSignIn(page, who, gateway = north) {
  await page.goto(`${gateway}/`);
  const demo = page.getByTestId('demo-wallet');
  await demo.locator('select').selectOption(who);
  await demo.getByRole('button').click();
  await page.getByRole('navigation').waitFor();
}

/** Runs the act the page shows to the end: done, or the failure's words. */
async function finished(scope) {
  const done = scope.getByTestId('act-done');
  const failed = scope.getByTestId('act-failed');
  await done.or(failed).first().waitFor();
  if (await failed.count()) throw new Error(`the action failed: ${await failed.first().textContent()}`);
}

const unique = Date.now().toString().slice(-8);
const newMember = `0x${'5eed'.padEnd(32, '0')}${unique}`;

describe('the console', () => {
  test('serves the console with a strict content security policy, and the API stays JSON', async () => {
    const page = await fetch(`${north}/cases`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root">/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const script = (await (await fetch(`${north}/`)).text()).match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
    const asset = await fetch(`${north}${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${north}/assets/missing.js`)).status, 404, 'a missing asset is not the page');
    const api = await fetch(`${north}/v1/no-such-thing`);
    assert.equal(api.status, 404);
    assert.equal((await api.json()).code, 'not_found');
  });

  test('the API reference at /docs is the console’s own page: every operation, nothing from elsewhere', async () => {
    await withPage('api-reference', async (page) => {
      const refused = [];
      page.on('console', (m) => m.text().includes('Content Security Policy') && refused.push(m.text()));
      const requests = [];
      page.on('request', (r) => requests.push(r.url()));
      const response = await page.goto(`${north}/docs`);
      assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'self'/);
      await page.getByRole('heading', { name: 'API 参考' }).waitFor();
      await page.getByText('/v1/cases', { exact: true }).first().waitFor();
      const openapi = await (await fetch(`${north}/openapi.json`)).json();
      const operations = Object.values(openapi.paths).reduce((n, item) => n + Object.keys(item).length, 0);
      assert.equal(await page.locator('details.operation').count(), operations, 'one entry per operation');
      assert.deepEqual(refused, [], 'nothing the policy refused');
      assert.deepEqual(
        requests.filter((url) => !url.startsWith(`${north}/`)),
        [],
        'every request to this gateway',
      );
    });
  });

  test('a volunteer pays with their own browser wallet, seeing the monitor’s verdict first', async () => {
    const me = stack.accounts['member-1-north'];
    const them = stack.accounts['member-2-north'];
    await withPage(
      'volunteer',
      async (page, wallet) => {
        await page.goto(`${north}/`);
        await page.getByRole('button', { name: '用浏览器钱包登录' }).click();
        await page.getByRole('link', { name: '我的账户' }).waitFor();
        await page.getByTestId('balance').waitFor();
        await accessible(page, 'my account');
        const form = page.getByRole('region', { name: '赠与时间币' });
        await form.getByLabel('收款账户').fill(them.address);
        await form.getByLabel('小时数').fill('0.25');
        await form.getByLabel('备注（可选）').fill('谢谢帮忙买菜');
        await form.getByRole('button', { name: '检查' }).click();
        const verdict = form.getByTestId('verdict');
        await verdict.waitFor();
        assert.match(await verdict.textContent(), /^监控规则：/);
        await shot(page, 'volunteer-pay');
        await form.getByRole('button', { name: '签名并发送' }).click();
        await finished(form);
        // The wallet signed a forward request for the forwarder on this chain, built by the page.
        const typed = wallet.signed.find((s) => s.method === 'eth_signTypedData_v4')?.typed;
        assert.equal(typed.primaryType, 'ForwardRequest');
        assert.equal(typed.domain.verifyingContract.toLowerCase(), stack.deployment.forwarder.toLowerCase());
        assert.equal(Number(typed.domain.chainId), stack.deployment.chainId);
        assert.equal(typed.message.to.toLowerCase(), stack.deployment.timeCoin.toLowerCase());
        const history = page.getByRole('region', { name: '收支记录' });
        await history.getByText('−0.25').first().waitFor();
        await shot(page, 'volunteer');
      },
      { wallet: me },
    );
  });

  test('a wallet on another network is told to switch, and signs nothing', async () => {
    const me = stack.accounts['member-2-north'];
    await withPage(
      'wrong-chain',
      async (page, wallet) => {
        await page.goto(`${north}/`);
        await page.getByRole('button', { name: '用浏览器钱包登录' }).click();
        await page.getByRole('alert').getByText(`钱包连接的是链 1，本平台在链 ${stack.deployment.chainId}`).waitFor();
        assert.deepEqual(wallet.signed, []);
      },
      { wallet: me, chainId: 1 },
    );
  });

  test('an operator registers a member, and the same person again is refused in words', async () => {
    await withPage(
      'register',
      async (page) => {
        await walletSignIn(page);
        await page.getByRole('link', { name: '登记新会员' }).click();
        const form = page.getByRole('region', { name: '登记新会员' });
        const fill = async (account) => {
          await form.getByLabel('会员钱包地址').fill(account);
          await form.getByLabel('姓名').fill('测试会员');
          await form.getByLabel('出生日期').fill('1970-01-02');
          await form.getByLabel('联系方式').fill('test@example.org');
          await form.getByLabel('证件类型').selectOption('passport');
          await form.getByLabel('证件号码').fill(`T${unique}`);
          await form.getByRole('button', { name: '提交审核' }).click();
        };
        await fill(newMember);
        await finished(form);
        await accessible(page, 'register');
        await shot(page, 'operator-register');
        await fill(`0x${'5eee'.padEnd(32, '0')}${unique}`);
        const failed = form.getByTestId('act-failed');
        await failed.waitFor();
        assert.match(await failed.textContent(), /此人已在平台登记/);
      },
      { wallet: stack.accounts['north-operator-1'] },
    );
  });

  test('a second operator reviews the new member with the decrypted profile and approves', async () => {
    await withPage(
      'review',
      async (page) => {
        await walletSignIn(page);
        await page.getByRole('link', { name: '待审核会员' }).click();
        const row = page.getByTestId('pending-member').filter({ hasText: newMember });
        await row.getByRole('button', { name: '查看资料' }).click();
        await row.getByText('此次查看已记录在访问日志中。').waitFor();
        await row.getByText('测试会员').waitFor();
        assert.match(await row.getByTestId('commitment-check').textContent(), /^✓/, 'the profile shown is the one committed on chain');
        await accessible(page, 'review');
        await shot(page, 'operator-review');
        await row.getByRole('button', { name: '批准' }).click();
        await finished(page.getByRole('region', { name: '待审核会员' }));
        await row.waitFor({ state: 'detached' });
      },
      { wallet: stack.accounts['north-operator-2'] },
    );
  });

  test('an issuer issues a credential, the document hashed in the page and never sent', async () => {
    await withPage(
      'issuer',
      async (page) => {
        const sent = [];
        page.on('request', (r) => sent.push(r.postData() ?? ''));
        await walletSignIn(page);
        await page.getByRole('link', { name: '证书' }).click();
        const form = page.getByRole('region', { name: '签发或续期证书' });
        await form.getByLabel('会员钱包地址').fill(newMember);
        await form.getByLabel('证书类型').selectOption({ index: 1 });
        await form
          .getByLabel('证书文件')
          .setInputFiles({ name: 'licence.pdf', mimeType: 'application/pdf', buffer: Buffer.from('护士执业证书 扫描件') });
        await form.getByLabel('文件哈希').and(page.locator('[value^="0x"]')).waitFor();
        await form.getByLabel('到期日').fill('2031-06-30');
        await accessible(page, 'credentials');
        await shot(page, 'issuer');
        await form.getByRole('button', { name: '签发' }).click();
        await finished(form);
        assert.ok(!sent.some((body) => body.includes('扫描件')), 'the document itself never leaves the page');
      },
      { wallet: stack.accounts['skills-issuer'] },
    );
  });

  test('a supervisor works the case inbox: oldest first, the coin flows, a decision', async () => {
    await withPage(
      'supervisor',
      async (page) => {
        await walletSignIn(page);
        // The demo's large gift is in escrow: its hold links to the case that decides it.
        await page.getByRole('link', { name: '暂扣的币' }).click();
        const held = page.getByTestId('hold-row').filter({ hasText: '暂扣中' }).first();
        await held.waitFor();
        await accessible(page, 'held coins');
        await shot(page, 'supervisor-holds');
        const holdId = (await held.locator('td').first().textContent()).trim();
        const holdCase = await held.getByRole('link').getAttribute('href');
        await page.getByRole('link', { name: '监管案件' }).click();
        const rows = page.getByTestId('case-row');
        await rows.first().waitFor();
        const ids = (await rows.allTextContents()).map((t) => Number(t.match(/^#(\d+)/)?.[1]));
        assert.deepEqual(
          ids,
          [...ids].sort((a, b) => a - b),
          'oldest first',
        );
        await accessible(page, 'case inbox');
        await shot(page, 'supervisor-inbox');
        // The held gift's case, from the inbox.
        await page.getByTestId('case-inbox').locator(`a[href="${holdCase}"]`).click();
        await page.getByTestId('flow-graph').waitFor();
        await accessible(page, 'case detail');
        const decide = page.getByRole('form', { name: '决定' });
        await decide.getByLabel('结论').selectOption('cleared');
        await decide.getByLabel('说明（不上链，存于本网点）').fill('家人之间的赠与，已核实');
        await shot(page, 'supervisor-case');
        await decide.getByRole('button', { name: '决定' }).click();
        // Decided, the case shows its outcome and the form goes.
        const failed = decide.getByTestId('act-failed');
        await page.getByTestId('case-status').filter({ hasText: '已排除' }).or(failed).first().waitFor();
        if (await failed.count()) throw new Error(`the decision failed: ${await failed.textContent()}`);
        await page.getByText('家人之间的赠与，已核实').waitFor();
        // Clearing the held gift's case released its coins to the recipient.
        await page.getByRole('link', { name: '暂扣的币' }).click();
        await page.getByLabel('状态').selectOption('');
        const row = page.getByTestId('hold-row').filter({ has: page.getByRole('cell', { name: holdId, exact: true }) });
        await row.getByText('已放行').waitFor();
      },
      { wallet: stack.accounts.supervisor },
    );
  });

  test('an activity from start to reward: created, joined, hours recorded and confirmed, settled by a second operator', async () => {
    const volunteer = stack.accounts['member-1-north'];
    const details = `社区图书馆整理 ${unique}`;
    const card = (page) => page.locator('article.activity').filter({ hasText: details });
    const balance = async (page) => Number((await page.getByTestId('balance').textContent()).replace(/[^\d.]/g, ''));
    const asOperator = (who, name, body) =>
      withPage(
        name,
        async (page) => {
          await walletSignIn(page);
          await page.getByRole('link', { name: '活动与培训' }).click();
          await body(page);
        },
        { wallet: stack.accounts[who] },
      );
    const asVolunteer = (name, body) =>
      withPage(
        name,
        async (page) => {
          await walletSignIn(page);
          await page.getByTestId('balance').waitFor();
          await body(page);
        },
        { wallet: volunteer },
      );
    await asOperator('north-operator-1', 'activity-create', async (page) => {
      const form = page.getByRole('region', { name: '新建活动' });
      await form.getByLabel('时长上限（小时）').fill('4');
      await form.getByLabel('说明').fill(details);
      await form.getByRole('button', { name: '新建活动' }).click();
      await finished(form);
      await card(page).waitFor();
    });
    let before = 0;
    await asVolunteer('activity-join', async (page) => {
      before = await balance(page);
      const offered = page.getByRole('listitem').filter({ hasText: details });
      await offered.getByRole('button', { name: '报名参加' }).click();
      await finished(page.getByRole('region', { name: '可参加的活动' }));
      await offered.getByText('已报名').waitFor();
    });
    await asOperator('north-operator-1', 'activity-record', async (page) => {
      await card(page).getByLabel('记录时长').fill('3');
      await card(page).getByRole('button', { name: '记录时长' }).click();
      await finished(card(page));
    });
    await asVolunteer('activity-confirm', async (page) => {
      const offered = page.getByRole('listitem').filter({ hasText: details });
      await offered.getByRole('button', { name: /^确认时长/ }).click();
      await finished(page.getByRole('region', { name: '可参加的活动' }));
      await accessible(page, 'my activities');
    });
    await asOperator('north-operator-2', 'activity-settle', async (page) => {
      await card(page).getByRole('button', { name: '结算' }).click();
      await finished(card(page));
      await shot(page, 'operator-activities');
    });
    await asVolunteer('activity-rewarded', async (page) => {
      assert.equal(await balance(page), before + 3, 'three hours rewarded');
    });
  });

  test('the risk agent’s findings: a gift gone round three members, its evidence beside the case it opened, and the platform’s weak spots', async () => {
    await withPage(
      'risk',
      async (page) => {
        await walletSignIn(page);
        await page.getByRole('link', { name: '风险扫描' }).click();
        // The demo's cycle (grace → alan → edsger → grace) is found as the blocks arrive.
        // (Its case link appears once the case the agent opened is indexed.)
        const finding = page.getByTestId('risk-finding').filter({ hasText: '(cycles)' });
        const caseLink = finding.getByRole('link', { name: /^案件 #/ });
        // (Leaving the screen and coming back reads the lists again; a reload would sign out.)
        for (let i = 0; i < 60 && !(await caseLink.count()); i++) {
          await page.waitForTimeout(500);
          await page.getByRole('link', { name: '网点概况' }).click();
          await page.getByRole('link', { name: '风险扫描' }).click();
          await page.getByRole('region', { name: '跨账户的可疑模式' }).waitFor();
        }
        await finding.first().waitFor();
        assert.match(await finding.first().textContent(), /回到原账户/);
        await page.getByTestId('platform-finding').first().waitFor();
        await accessible(page, 'risk scan');
        await shot(page, 'supervisor-risk');
        const agentCase = await caseLink.first().getAttribute('href');
        // By risk score, the inbox puts it first: the open cases left are the rules' flags.
        await page.getByRole('link', { name: '监管案件' }).click();
        await page.getByLabel('排序').selectOption('score');
        const firstRow = page.getByTestId('case-row').first();
        await firstRow.waitFor();
        for (let i = 0; i < 20 && (await firstRow.getAttribute('href')) !== agentCase; i++) await page.waitForTimeout(250);
        assert.equal(await firstRow.getAttribute('href'), agentCase);
        // Its case, opened by the agent, shows the evidence: the path and the three payments.
        await firstRow.click();
        const evidence = page.getByTestId('finding');
        await evidence.waitFor();
        assert.equal(await evidence.locator('tbody tr').count(), 3);
        await evidence.getByText(/→/).first().waitFor();
        await accessible(page, 'agent case');
        await shot(page, 'supervisor-agent-case');
      },
      { wallet: stack.accounts.supervisor },
    );
  });

  test('a member moves: the home branch asks, the receiving branch accepts at its own gateway', async () => {
    const moving = stack.accounts['member-2-north'].address;
    await withPage(
      'move-out',
      async (page) => {
        await walletSignIn(page);
        await page.getByRole('link', { name: '会员转移' }).click();
        const form = page.getByRole('region', { name: '申请转出到其他网点' });
        await form.getByLabel('会员钱包地址').fill(moving);
        await form.getByLabel('转入网点').selectOption('2');
        await form.getByRole('button', { name: '申请转移' }).click();
        await finished(form);
        await page.getByTestId('move-out').filter({ hasText: moving }).waitFor();
      },
      { wallet: stack.accounts['north-operator-1'] },
    );
    await withPage(
      'move-in',
      async (page) => {
        await walletSignIn(page, stack.gateways[1]);
        await page.getByRole('link', { name: '会员转移' }).click();
        const row = page.getByTestId('move-in').filter({ hasText: moving });
        await accessible(page, 'moves');
        await shot(page, 'operator-moves');
        await row.getByRole('button', { name: '接收' }).click();
        await finished(page.getByRole('region', { name: '会员转移' }));
        await row.waitFor({ state: 'detached' });
      },
      { wallet: stack.accounts['south-operator-1'] },
    );
  });

  test('a supervisor finds a member, reads the profile (logged, checked) and sets the risk level', async () => {
    const member = stack.accounts['member-3-south'].address;
    await withPage(
      'member',
      async (page) => {
        await walletSignIn(page);
        await page.goto(`${north}/#/members/${member}`);
        const record = page.getByTestId('member');
        await record.getByRole('button', { name: '查看资料' }).click();
        assert.match(await record.getByTestId('commitment-check').textContent(), /^✓/);
        const form = record.getByRole('form', { name: '设置风险等级' });
        await form.getByLabel('设置风险等级').selectOption('medium');
        await form.getByLabel('原因').fill('合作机构预警，已核实');
        await accessible(page, 'member');
        await shot(page, 'supervisor-member');
        await form.getByRole('button', { name: '设置' }).click();
        await finished(form);
        await record.getByTestId('member-risk').filter({ hasText: /^中$/ }).waitFor();
        // The history in words: the change just made, by its name in Chinese.
        await page.getByRole('listitem').filter({ hasText: '风险等级变更' }).first().waitFor();
      },
      { wallet: stack.accounts.supervisor },
    );
  });

  test('a partner raises an alert and a supervisor sees it arrive without a reload', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    context.setDefaultTimeout(TIMEOUT);
    const watching = await context.newPage();
    try {
      await demoSignIn(watching, 'supervisor');
      await watching.getByRole('link', { name: '风险预警' }).click();
      await withPage(
        'partner',
        async (page) => {
          await walletSignIn(page);
          await page.getByRole('link', { name: '风险预警' }).click();
          const form = page.getByRole('region', { name: '提出风险预警' });
          await form.getByLabel('会员账户').fill(stack.accounts['member-3-south'].address);
          await form.getByLabel('原因').fill('合作银行报告：账户异常');
          await form.getByRole('button', { name: '提出风险预警' }).click();
          await finished(form);
          await accessible(page, 'partner alerts');
          await shot(page, 'partner');
        },
        { wallet: stack.accounts.partner },
      );
      await watching
        .getByTestId('live')
        .getByText(/新风险预警/)
        .waitFor({ timeout: TIMEOUT });
      await shot(watching, 'supervisor-live');
    } finally {
      await context.close();
    }
  });

  test('an auditor, by keyboard alone, runs the branch audit and sees the access log with the review’s read', async () => {
    await withPage('auditor', async (page) => {
      await demoSignIn(page, 'auditor');
      // Keyboard only: Tab to the screen's link, Enter; Tab to the audit's button, Enter.
      const tabTo = async (text) => {
        for (let i = 0; i < 40; i++) {
          await page.keyboard.press('Tab');
          if (await page.evaluate((t) => document.activeElement?.textContent?.trim() === t, text)) return;
        }
        throw new Error(`Tab never reached ${text}`);
      };
      await tabTo('审计与访问日志');
      await page.keyboard.press('Enter');
      await tabTo('开始审计');
      await page.keyboard.press('Enter');
      const report = page.getByTestId('audit-report');
      await report.waitFor();
      assert.match(await report.textContent(), /未发现问题。/);
      await page.getByTestId('access-row').filter({ hasText: '四眼审核新会员' }).first().waitFor();
      await accessible(page, 'audit');
      await shot(page, 'auditor');
    });
  });

  test('English is a switch away, every screen from the catalogs', async () => {
    await withPage('english', async (page) => {
      await demoSignIn(page, 'north-operator-1');
      await page.getByRole('button', { name: 'English' }).click();
      await page.getByRole('link', { name: 'Members to review' }).waitFor();
      await page.getByRole('link', { name: 'Branch overview' }).click();
      await page.getByRole('heading', { name: "The branch's minting quota" }).waitFor();
      await page.getByRole('heading', { name: 'Members by status' }).waitFor();
      await page.getByRole('img', { name: 'Hours rewarded per week, by purpose' }).waitFor();
      await accessible(page, 'dashboard');
      await shot(page, 'dashboard-en');
    });
  });

  test('no demo wallet on any other chain, whatever the gateway says', async () => {
    await withPage('no-demo-wallet', async (page) => {
      await page.route('**/v1/deployment', async (route) => {
        const real = await (await route.fetch()).json();
        await route.fulfill({ json: { ...real, chainId: 5, demoAccounts: true } });
      });
      await page.goto(`${north}/`);
      await page.getByRole('heading', { name: '登录' }).waitFor();
      assert.equal(await page.getByTestId('demo-wallet').count(), 0);
      await accessible(page, 'sign-in');
    });
  });
});
