import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, afterAll } from 'vitest';
import { ConfigError, loadConfig } from '../src/env.ts';
import { tempDirs } from '@comfy-gateway/test-infra';

const tempDir = tempDirs(afterAll);

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({});
    expect(c.app).toMatchObject({
      comfy_enabled: false,
      comfy_api_url: 'http://127.0.0.1:8188',
      comfy_timeout: 30,
      comfy_health_interval_s: 60,
      comfy_reconnect_max_attempts: 5,
      comfy_reconnect_base_delay_s: 0.5,
      comfy_reconnect_max_delay_s: 30,
      comfy_object_info_ttl_s: 3600,
    });
    expect(c.rootDir).toBe(path.resolve('./data'));
    expect(c.app.comfy_image_dir).toBe(path.join(c.rootDir, 'comfy_images'));
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      admin: null,
      comfyViewRateLimitPerMin: 120,
      uploadMaxBytes: 50 * 1024 * 1024,
      sessionTtlHours: 168,
      logLevel: 'info',
      webDir: null,
      trustProxy: false,
      queueMaxPending: null,
      configFile: null,
    });
  });

  it('parses every variable', () => {
    const c = loadConfig({
      COMFY_ENABLED: 'yes',
      COMFY_API_URL: 'http://comfy:8188',
      COMFY_TIMEOUT: '12.5',
      COMFY_IMAGE_DIR: '/tmp/imgs',
      COMFY_HEALTH_INTERVAL_S: '5',
      COMFY_RECONNECT_MAX_ATTEMPTS: '9',
      COMFY_RECONNECT_BASE_DELAY_S: '0.25',
      COMFY_RECONNECT_MAX_DELAY_S: '10',
      COMFY_OBJECT_INFO_TTL_S: '0',
      ROOT_DIR: '/tmp/root',
      HOST: '0.0.0.0',
      PORT: '8080',
      ADMIN_EMAIL: 'Boss@Example.com',
      ADMIN_PASSWORD: 'long-enough-pw',
      COMFY_VIEW_RATE_LIMIT_PER_MIN: '30',
      UPLOAD_MAX_BYTES: '1000',
      SESSION_TTL_HOURS: '1',
      LOG_LEVEL: 'DEBUG',
      TRUST_PROXY: '1',
      QUEUE_MAX_PENDING: '7',
    });
    expect(c.app).toMatchObject({
      comfy_enabled: true,
      comfy_timeout: 12.5,
      comfy_image_dir: '/tmp/imgs',
      comfy_object_info_ttl_s: 0,
    });
    expect(c).toMatchObject({
      rootDir: '/tmp/root',
      host: '0.0.0.0',
      port: 8080,
      admin: { email: 'boss@example.com', password: 'long-enough-pw' },
      comfyViewRateLimitPerMin: 30,
      uploadMaxBytes: 1000,
      sessionTtlHours: 1,
      logLevel: 'debug',
      trustProxy: true,
      queueMaxPending: 7,
    });
  });

  it.each([
    ['COMFY_ENABLED', 'maybe'],
    ['COMFY_API_URL', 'ftp://x'],
    ['COMFY_TIMEOUT', '0'],
    ['COMFY_HEALTH_INTERVAL_S', 'soon'],
    ['COMFY_RECONNECT_MAX_ATTEMPTS', '1.5'],
    ['COMFY_RECONNECT_BASE_DELAY_S', '-1'],
    ['COMFY_RECONNECT_MAX_DELAY_S', 'x'],
    ['COMFY_OBJECT_INFO_TTL_S', '-5'],
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['COMFY_VIEW_RATE_LIMIT_PER_MIN', '0'],
    ['UPLOAD_MAX_BYTES', '12MB'],
    ['SESSION_TTL_HOURS', 'forever'],
    ['LOG_LEVEL', 'loud'],
    ['TRUST_PROXY', 'sometimes'],
    ['QUEUE_MAX_PENDING', '-1'],
    ['LOGIN_RATE_LIMIT_PER_MIN', 'many'],
  ])('%s=%s is rejected with the variable named', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name}: `));
  });

  it('reads REDIS_URL (redis:// or rediss://, absent: in process) and never echoes a bad one', () => {
    expect(loadConfig({}).redisUrl).toBeNull();
    expect(loadConfig({ REDIS_URL: 'redis://:pw@cache:6379/2' }).redisUrl).toBe('redis://:pw@cache:6379/2');
    expect(loadConfig({ REDIS_URL: 'rediss://cache:6380' }).redisUrl).toBe('rediss://cache:6380');
    const bad = () => loadConfig({ REDIS_URL: 'http://user:secret-pw@cache:6379' });
    expect(bad).toThrow(/^REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(bad).not.toThrow(/secret-pw/);
  });

  it('names PORT with the expected range and the value', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow('PORT: expected an integer 0..65535, got "abc"');
  });

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together and never echoes the password', () => {
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@b.co' })).toThrow(/^ADMIN_PASSWORD: /);
    expect(() => loadConfig({ ADMIN_PASSWORD: 'long-enough-pw' })).toThrow(/^ADMIN_EMAIL: /);
    expect(() => loadConfig({ ADMIN_EMAIL: 'nope', ADMIN_PASSWORD: 'long-enough-pw' })).toThrow(
      /^ADMIN_EMAIL: /,
    );
    let message = '';
    try {
      loadConfig({ ADMIN_EMAIL: 'a@b.co', ADMIN_PASSWORD: 'short' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^ADMIN_PASSWORD: /);
    expect(message).not.toContain('short');
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', COMFY_ENABLED: ' ' })).toMatchObject({
      port: 3000,
      app: { comfy_enabled: false },
    });
  });

  it('layers defaults < CONFIG_FILE < environment', async () => {
    const dir = await tempDir('cg-env-');
    const file = path.join(dir, 'config.json');
    await writeFile(
      file,
      JSON.stringify({ comfy_enabled: true, comfy_timeout: 5, comfy_api_url: 'http://file:1' }),
    );
    const c = loadConfig({ CONFIG_FILE: file, COMFY_TIMEOUT: '7' });
    expect(c.configFile).toBe(file);
    expect(c.app).toMatchObject({
      comfy_enabled: true,
      comfy_timeout: 7,
      comfy_api_url: 'http://file:1',
      comfy_health_interval_s: 60,
    });
  });

  it('rejects a bad CONFIG_FILE naming it', async () => {
    const dir = await tempDir('cg-env-');
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"comfy_timeout": "slow"}');
    expect(() => loadConfig({ CONFIG_FILE: bad })).toThrow(/^CONFIG_FILE: comfy_timeout: /);
    const typo = path.join(dir, 'typo.json');
    await writeFile(typo, '{"comfy_enabeld": true}');
    expect(() => loadConfig({ CONFIG_FILE: typo })).toThrow('CONFIG_FILE: unknown field "comfy_enabeld"');
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{');
    expect(() => loadConfig({ CONFIG_FILE: broken })).toThrow(/^CONFIG_FILE: .* not valid JSON/);
    expect(() => loadConfig({ CONFIG_FILE: path.join(dir, 'missing.json') })).toThrow(
      /^CONFIG_FILE: cannot read/,
    );
  });

  it('requires WEB_DIR to hold an index.html', async () => {
    const dir = await tempDir('cg-web-');
    expect(() => loadConfig({ WEB_DIR: dir })).toThrow(/^WEB_DIR: /);
    await writeFile(path.join(dir, 'index.html'), '<!doctype html>');
    expect(loadConfig({ WEB_DIR: dir }).webDir).toBe(dir);
  });
});
