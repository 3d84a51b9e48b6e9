import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/env.ts';

describe('DATABASE_URL', () => {
  it('is unset by default: SQLite in ROOT_DIR', () => {
    expect(loadConfig({}).databaseUrl).toBeNull();
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBeNull();
  });

  it('takes postgres:// and postgresql:// URLs', () => {
    for (const url of ['postgres://gw:pw@db:5432/gateway', 'postgresql://db/gateway?sslmode=require'])
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
  });

  it('refuses anything else naming the variable, never echoing the URL (it holds the password)', () => {
    for (const url of ['mysql://u:secret-pw@db/x', 'sqlite:///data/x.db', 'not a url']) {
      let message = '';
      try {
        loadConfig({ DATABASE_URL: url });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toBe('DATABASE_URL: expected a postgres:// or postgresql:// URL');
    }
  });
});
