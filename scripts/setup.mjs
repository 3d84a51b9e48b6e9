#!/usr/bin/env node
// One command from a machine with only Node 20 and npm: `npm run demo` or `npm test`.
// Installs the pinned pnpm and the dependencies when missing or stale, then runs the task.
// Plain Node on purpose: it runs before any dependency exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const task = process.argv[2];
const TASKS = {
  // turbo builds only what is missing or stale (its cache), then the demo stack starts.
  demo: [
    ['exec', 'turbo', 'run', 'build'],
    ['--filter', '@comfy-gateway/server', 'demo'],
  ],
  test: [
    ['exec', 'prettier', '--check', '.'],
    ['exec', 'turbo', 'run', 'lint', 'typecheck', 'test', '--concurrency=2'],
  ],
};

if (!TASKS[task]) {
  console.error(`usage: node scripts/setup.mjs ${Object.keys(TASKS).join('|')}`);
  process.exit(2);
}

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const installedPnpm = () => {
  try {
    return execFileSync('pnpm', ['--version'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
};

if (installedPnpm() !== pnpmVersion) {
  console.log(`setup: installing pnpm@${pnpmVersion} with npm`);
  run('npm', ['install', '--global', `pnpm@${pnpmVersion}`]);
}

// The browser tests drive Debian's Chromium; install it when we may (root on Debian), else say so.
if (task === 'test' && !existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) {
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('setup: installing chromium from Debian packages');
    process.env.DEBIAN_FRONTEND = 'noninteractive';
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'chromium']);
  } else {
    console.warn('setup: no Chromium found: install it (apt-get install chromium) or set CHROMIUM_PATH');
  }
}

// A no-op in seconds when node_modules already matches the lockfile.
run('pnpm', ['install', '--frozen-lockfile']);
for (const args of TASKS[task]) run('pnpm', args);
