// `npm run test:browser`: builds what the tests need (the console, the devnet binary), finds or
// installs Debian's chromium, and runs the browser tests. Anything missing fails; nothing skips.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './stack.mjs';

const chromium = execFileSync(join(root, 'tools/chromium'), { encoding: 'utf8' }).trim();
const run = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, CHROMIUM: chromium } });
run('npm', ['run', '--silent', 'build'], join(root, 'console'));
run('cargo', ['build', '--quiet', '--locked', '-p', 'timebank-devnet']);
run(process.execPath, ['--test', '--test-concurrency=1', join(root, 'console/tests/browser/console.test.mjs')]);
