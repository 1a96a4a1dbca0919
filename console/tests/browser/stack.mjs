// `make up`'s stack for the browser tests: anvil, the contracts, three branches' indexers and
// gateways (each serving the built console), filled by `make demo`; in a throwaway directory.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = new URL('../../../', import.meta.url).pathname;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts the platform and the demo; resolves once every gateway serves. */
export async function startStack() {
  const dir = mkdtempSync(join(tmpdir(), 'timebank-console-'));
  const data = join(dir, 'data');
  const [anvil, ...gatewayPorts] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const bin = join(root, 'target/debug/timebank-devnet');
  const up = spawn(
    bin,
    ['up', '--data-dir', data, '--anvil-port', String(anvil), '--gateway-ports', gatewayPorts.join(','), '--console-dir', join(root, 'console/dist')],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' } },
  );
  let log = '';
  up.stderr.on('data', (chunk) => (log = (log + chunk).slice(-20_000)));
  await new Promise((resolve, reject) => {
    let out = '';
    up.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('timebank is up')) resolve();
    });
    up.once('exit', (code) => reject(new Error(`timebank-devnet up exited (${code}):\n${out}\n${log}`)));
  });
  const gateways = gatewayPorts.map((p) => `http://127.0.0.1:${p}`);
  // Not execFileSync: the event loop must keep draining `up`'s output meanwhile, or its
  // gateways stall writing their logs.
  const demo = spawn(bin, ['demo', '--data-dir', data, '--gateways', gateways.join(',')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const status = await new Promise((resolve) => demo.once('exit', resolve));
  if (status !== 0) throw new Error(`timebank-devnet demo exited with ${status}:\n${log}`);
  const accounts = JSON.parse(readFileSync(join(data, 'accounts.json'), 'utf8'));
  const byName = Object.fromEntries(accounts.roles.map(([name, address, key]) => [name, { name, address, key }]));
  const deployment = JSON.parse(readFileSync(join(data, 'deployment.json'), 'utf8'));
  return {
    rpc: `http://127.0.0.1:${anvil}`,
    gateways,
    accounts: byName,
    deployment,
    async stop() {
      up.kill('SIGTERM');
      await new Promise((resolve) => (up.exitCode != null ? resolve() : up.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
