import { describe, expect, expectTypeOf, it } from 'vitest';
import { appConfigSchema, type AppConfig } from './config.ts';

describe('appConfigSchema', () => {
  it('has the seed defaults', () => {
    expect(appConfigSchema.parse({})).toEqual({
      comfy_enabled: false,
      comfy_api_url: 'http://127.0.0.1:8188',
      comfy_timeout: 30,
      comfy_health_interval_s: 60,
      comfy_reconnect_max_attempts: 5,
      comfy_reconnect_base_delay_s: 0.5,
      comfy_reconnect_max_delay_s: 30,
      comfy_object_info_ttl_s: 3600,
    });
  });

  it('rejects values that would break the service, naming the field', () => {
    const r = appConfigSchema.safeParse({
      comfy_api_url: 'ftp://x',
      comfy_timeout: 0,
      comfy_reconnect_max_attempts: 0,
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual([
      'comfy_api_url',
      'comfy_timeout',
      'comfy_reconnect_max_attempts',
    ]);
  });

  it('infers field types', () => {
    expectTypeOf<AppConfig['comfy_enabled']>().toEqualTypeOf<boolean>();
    expectTypeOf<AppConfig['comfy_image_dir']>().toEqualTypeOf<string | undefined>();
  });
});
