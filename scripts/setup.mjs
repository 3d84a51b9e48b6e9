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

// The browser tests drive Debian's Chromium and the cluster tests start their own redis-server and
// PostgreSQL 15: install the missing ones when we may (root on Debian), else say so.
const SYSTEM_PACKAGES = [
  { pkg: 'chromium', file: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  { pkg: 'redis-server', file: '/usr/bin/redis-server' },
  { pkg: 'postgresql', file: '/usr/lib/postgresql/15/bin/initdb' },
];
const missing =
  task === 'test' ? SYSTEM_PACKAGES.filter(({ file }) => !existsSync(file)).map((p) => p.pkg) : [];
if (missing.length > 0) {
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log(`setup: installing ${missing.join(', ')} from Debian packages`);
    process.env.DEBIAN_FRONTEND = 'noninteractive';
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', ...missing]);
  } else {
    console.warn(
      `setup: missing ${missing.join(', ')}: install them (apt-get install ...) or the tests that need them fail`,
    );
  }
}

// A no-op in seconds when node_modules already matches the lockfile.
run('pnpm', ['install', '--frozen-lockfile']);
for (const args of TASKS[task]) run('pnpm', args);
