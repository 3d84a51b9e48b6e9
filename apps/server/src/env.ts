import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PASSWORD_MIN_LENGTH, appConfigSchema, emailSchema, passwordSchema } from '@comfy-gateway/schema';
import type { AppConfig } from '@comfy-gateway/schema';
import { isCommonPassword } from './auth/password-policy.ts';
import { backendsVar, resolveBackends } from './backends-config.ts';
import type { BackendConfig } from './backends-config.ts';
import { ConfigError } from './config-error.ts';
import {
  boolVar,
  enumVar,
  intVar,
  numberVar,
  postgresUrlVar,
  readVar,
  redisUrlVar,
  stringVar,
  urlListVar,
} from './env-vars.ts';
import type { Env, VarSpec } from './env-vars.ts';

export { ConfigError };

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** AppConfig fields and the variable that overrides each (design §3). */
const APP_VARS: { [K in keyof AppConfig]-?: [string, VarSpec<NonNullable<AppConfig[K]>>] } = {
  comfy_enabled: ['COMFY_ENABLED', boolVar],
  comfy_api_url: ['COMFY_API_URL', urlListVar],
  comfy_timeout: ['COMFY_TIMEOUT', numberVar(0, 3600, true)],
  comfy_image_dir: ['COMFY_IMAGE_DIR', stringVar],
  comfy_health_interval_s: ['COMFY_HEALTH_INTERVAL_S', numberVar(0, 86_400, true)],
  comfy_reconnect_max_attempts: ['COMFY_RECONNECT_MAX_ATTEMPTS', intVar(1, 1000)],
  comfy_reconnect_base_delay_s: ['COMFY_RECONNECT_BASE_DELAY_S', numberVar(0, 3600, true)],
  comfy_reconnect_max_delay_s: ['COMFY_RECONNECT_MAX_DELAY_S', numberVar(0, 86_400, true)],
  comfy_object_info_ttl_s: ['COMFY_OBJECT_INFO_TTL_S', numberVar(0, 604_800)],
  comfy_backends: ['COMFY_BACKENDS', backendsVar],
};

/** Everything the server reads from its environment, validated. */
export interface ServerConfig {
  /** The seed's AppConfig, with `comfy_image_dir` resolved to an absolute path. */
  app: AppConfig & { comfy_image_dir: string };
  rootDir: string;
  /** `DATABASE_URL`: PostgreSQL for users, sessions, tokens, jobs, gallery index, idempotency; null: SQLite in ROOT_DIR. */
  databaseUrl: string | null;
  configFile: string | null;
  host: string;
  port: number;
  admin: { email: string; password: string } | null;
  comfyViewRateLimitPerMin: number;
  loginRateLimitPerMin: number;
  uploadMaxBytes: number;
  sessionTtlHours: number;
  logLevel: LogLevel;
  webDir: string | null;
  /** Text-to-image presets (`*.json`); `PRESETS_DIR`, else the repository's `config/comfy/presets`. */
  presetsDir: string | null;
  trustProxy: boolean;
  queueMaxPending: number | null;
  /** Unfinished jobs one user may have (`USER_MAX_ACTIVE_JOBS`); an admin may set a user's own. */
  userMaxActiveJobs: number;
  /** `COMFY_NODE_ALLOWLIST`: the only node classes a workflow may use; null allows all. */
  nodeAllowlist: ReadonlySet<string> | null;
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  /** Failed logins per client address across all emails, per minute. */
  loginIpRateLimitPerMin: number;
  /** Password hashes at once, and logins waiting for one, before a login is refused with 429. */
  loginHashConcurrency: number;
  loginHashQueue: number;
  /** Expiry of an API token created without `expires_in_days`. */
  tokenDefaultExpiryDays: number;
  /** Open SSE streams, tRPC subscriptions and WebSockets per user. */
  userMaxStreams: number;
  /** tRPC calls one WebSocket may make per second (a frame holds at most 50). */
  wsMaxCallsPerSecond: number;
  /** The ComfyUI servers (`COMFY_BACKENDS`, else the URLs of `COMFY_API_URL`); more than one: a pool. */
  backends: BackendConfig[];
  /** `COMFY_DISPATCH_TIMEOUT_S`: a job no usable server can run fails `no_backend` after this. */
  dispatchTimeoutS: number;
  /** `COMFY_RETRY_ON_BACKEND_LOSS`: reruns of a running job whose server is lost. */
  retryOnBackendLoss: number;
  /** `REDIS_URL`: limits and the object_info cache shared by every instance; null keeps them in process. */
  redisUrl: string | null;
}

/**
 * Builds the configuration: defaults < `CONFIG_FILE` (JSON AppConfig) < environment.
 * Throws `ConfigError` naming the variable (or file field) at fault.
 */
export function loadConfig(env: Env = process.env): ServerConfig {
  const cwd = process.cwd();
  const rootDir = path.resolve(cwd, readVar(env, 'ROOT_DIR', stringVar) ?? './data');
  const configFileVar = readVar(env, 'CONFIG_FILE', stringVar);
  const configFile = configFileVar === undefined ? null : path.resolve(cwd, configFileVar);
  const app = loadAppConfig(env, configFile);
  const webDir = readWebDir(env, cwd);
  const backends = resolveBackends({
    apiUrl: app.comfy_api_url,
    backends: app.comfy_backends,
    source: backendsSource(env, app),
  });
  return {
    app: {
      ...app,
      comfy_image_dir: path.resolve(cwd, app.comfy_image_dir ?? path.join(rootDir, 'comfy_images')),
    },
    rootDir,
    databaseUrl: readVar(env, 'DATABASE_URL', postgresUrlVar) ?? null,
    configFile,
    host: readVar(env, 'HOST', stringVar) ?? '127.0.0.1',
    port: readVar(env, 'PORT', intVar(0, 65_535)) ?? 3000,
    admin: readAdmin(env),
    comfyViewRateLimitPerMin: readVar(env, 'COMFY_VIEW_RATE_LIMIT_PER_MIN', intVar(1, 1_000_000)) ?? 120,
    loginRateLimitPerMin: readVar(env, 'LOGIN_RATE_LIMIT_PER_MIN', intVar(1, 1_000_000)) ?? 10,
    uploadMaxBytes: readVar(env, 'UPLOAD_MAX_BYTES', intVar(1, 2 ** 40)) ?? 50 * 1024 * 1024,
    sessionTtlHours: readVar(env, 'SESSION_TTL_HOURS', numberVar(0, 87_600, true)) ?? 168,
    logLevel: readVar(env, 'LOG_LEVEL', enumVar(LOG_LEVELS)) ?? 'info',
    webDir,
    presetsDir: readPresetsDir(env, cwd),
    trustProxy: readVar(env, 'TRUST_PROXY', boolVar) ?? false,
    queueMaxPending: readVar(env, 'QUEUE_MAX_PENDING', intVar(1, 1_000_000)) ?? null,
    userMaxActiveJobs: readVar(env, 'USER_MAX_ACTIVE_JOBS', intVar(1, 1_000_000)) ?? 20,
    nodeAllowlist: readNodeAllowlist(env),
    metricsToken: readVar(env, 'METRICS_TOKEN', { ...stringVar, secret: true }) ?? null,
    loginIpRateLimitPerMin: readVar(env, 'LOGIN_IP_RATE_LIMIT_PER_MIN', intVar(1, 1_000_000)) ?? 30,
    loginHashConcurrency: readVar(env, 'LOGIN_HASH_CONCURRENCY', intVar(1, 64)) ?? 2,
    loginHashQueue: readVar(env, 'LOGIN_HASH_QUEUE', intVar(0, 10_000)) ?? 16,
    tokenDefaultExpiryDays: readVar(env, 'TOKEN_DEFAULT_EXPIRY_DAYS', intVar(1, 3650)) ?? 90,
    userMaxStreams: readVar(env, 'USER_MAX_STREAMS', intVar(1, 100_000)) ?? 32,
    wsMaxCallsPerSecond: readVar(env, 'WS_MAX_CALLS_PER_SECOND', intVar(1, 100_000)) ?? 100,
    backends,
    dispatchTimeoutS: readVar(env, 'COMFY_DISPATCH_TIMEOUT_S', numberVar(0, 86_400, true)) ?? 600,
    retryOnBackendLoss: readVar(env, 'COMFY_RETRY_ON_BACKEND_LOSS', intVar(0, 10)) ?? 1,
    redisUrl: readVar(env, 'REDIS_URL', redisUrlVar) ?? null,
  };
}

/** Which setting the server list came from, for errors. */
function backendsSource(env: Env, app: AppConfig): string {
  if (readVar(env, 'COMFY_BACKENDS', stringVar) !== undefined) return 'COMFY_BACKENDS';
  if (app.comfy_backends) return 'CONFIG_FILE: comfy_backends';
  return readVar(env, 'COMFY_API_URL', stringVar) !== undefined
    ? 'COMFY_API_URL'
    : 'CONFIG_FILE: comfy_api_url';
}

function loadAppConfig(env: Env, configFile: string | null): AppConfig {
  const fromFile = configFile === null ? {} : readConfigFile(configFile);
  const fileResult = appConfigSchema.partial().safeParse(fromFile);
  if (!fileResult.success) {
    const issue = fileResult.error.issues[0];
    throw new ConfigError(`CONFIG_FILE: ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [field, [name, spec]] of Object.entries(APP_VARS)) {
    const value = readVar(env, name, spec as VarSpec<unknown>);
    if (value !== undefined) fromEnv[field] = value;
  }
  const merged = appConfigSchema.safeParse({ ...stripUndefined(fileResult.data), ...fromEnv });
  if (!merged.success) {
    const issue = merged.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    const source =
      field in fromEnv ? (APP_VARS[field as keyof AppConfig][0] ?? field) : `CONFIG_FILE: ${field}`;
    throw new ConfigError(`${source}: ${issue?.message ?? 'invalid'}`);
  }
  return merged.data;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `CONFIG_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`CONFIG_FILE: ${file} is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`CONFIG_FILE: ${file} must hold a JSON object of AppConfig fields`);
  }
  // A typo in a field name would otherwise be ignored silently.
  const unknown = Object.keys(parsed).filter((k) => !(k in APP_VARS));
  if (unknown.length > 0) throw new ConfigError(`CONFIG_FILE: unknown field ${JSON.stringify(unknown[0])}`);
  return parsed as Record<string, unknown>;
}

function stripUndefined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

function readAdmin(env: Env): ServerConfig['admin'] {
  const email = readVar(env, 'ADMIN_EMAIL', stringVar);
  const password = readVar(env, 'ADMIN_PASSWORD', {
    schema: passwordSchema.refine((p) => !isCommonPassword(p)),
    expected: `at least ${PASSWORD_MIN_LENGTH} characters and not a common password`,
    secret: true,
  });
  if (email === undefined && password === undefined) return null;
  if (email === undefined) throw new ConfigError('ADMIN_EMAIL: required when ADMIN_PASSWORD is set');
  if (password === undefined) throw new ConfigError('ADMIN_PASSWORD: required when ADMIN_EMAIL is set');
  const parsed = emailSchema.safeParse(email);
  if (!parsed.success)
    throw new ConfigError(`ADMIN_EMAIL: expected an email address, got ${JSON.stringify(email)}`);
  return { email: parsed.data, password };
}

function readNodeAllowlist(env: Env): ReadonlySet<string> | null {
  const raw = readVar(env, 'COMFY_NODE_ALLOWLIST', stringVar);
  if (raw === undefined) return null;
  const classes = raw
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (classes.length === 0)
    throw new ConfigError('COMFY_NODE_ALLOWLIST: expected comma-separated node class names');
  return new Set(classes);
}

function readWebDir(env: Env, cwd: string): string | null {
  const dir = readVar(env, 'WEB_DIR', stringVar);
  if (dir === undefined) return null;
  const resolved = path.resolve(cwd, dir);
  if (!existsSync(path.join(resolved, 'index.html'))) {
    throw new ConfigError(`WEB_DIR: ${resolved} has no index.html`);
  }
  return resolved;
}

function readPresetsDir(env: Env, cwd: string): string | null {
  const dir = readVar(env, 'PRESETS_DIR', stringVar);
  if (dir !== undefined) {
    const resolved = path.resolve(cwd, dir);
    if (!existsSync(resolved)) throw new ConfigError(`PRESETS_DIR: ${resolved} does not exist`);
    return resolved;
  }
  // Started from the repository or any folder below it (apps/server under pnpm --filter).
  for (let d = cwd; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'config', 'comfy', 'presets');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(d) === d) return null;
  }
}
