import { describe, expect, expectTypeOf, it } from 'vitest';
import { jobListQuerySchema, jobRecordSchema, type JobListQuery, type JobRecord } from './jobs.ts';

const issuesOf = (input: unknown) => {
  const r = jobListQuerySchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('jobListQuerySchema', () => {
  it('takes URL strings and numbers alike, with limit 50 by default', () => {
    expect(jobListQuerySchema.parse({})).toEqual({ limit: 50 });
    expect(
      jobListQuerySchema.parse({ limit: '200', user: '7', status: 'running', kind: 'text2img' }),
    ).toEqual({
      limit: 200,
      user: 7,
      status: 'running',
      kind: 'text2img',
    });
    expect(jobListQuerySchema.parse({ limit: 1, user: 'all' })).toEqual({ limit: 1, user: 'all' });
  });

  it('names the field of every bad value', () => {
    expect(issuesOf({ limit: '0' })).toMatchInlineSnapshot(`
      [
        "limit: Too small: expected number to be >=1",
      ]
    `);
    expect(issuesOf({ limit: 201 })).toMatchInlineSnapshot(`
      [
        "limit: Too big: expected number to be <=200",
      ]
    `);
    for (const [field, value] of [
      ['status', 'done'],
      ['kind', 'video'],
      ['user', 'someone'],
      ['user', '-1'],
      ['cursor', ''],
    ] as const) {
      const issues = issuesOf({ [field]: value });
      expect(issues.length, `${field}=${value}`).toBeGreaterThan(0);
      for (const issue of issues) expect(issue).toMatch(new RegExp(`^${field}: `));
    }
  });

  it('infers the parsed query and record types', () => {
    expectTypeOf<JobListQuery['limit']>().toEqualTypeOf<number>();
    expectTypeOf<JobListQuery['user']>().toEqualTypeOf<number | 'all' | undefined>();
    expectTypeOf<JobRecord['kind']>().toEqualTypeOf<'workflow' | 'text2img'>();
  });
});

describe('jobRecordSchema', () => {
  const record = {
    prompt_id: 'p',
    owner_id: 1,
    kind: 'workflow',
    params: null,
    status: 'completed',
    error: null,
    images: [{ filename: 'a.png', subfolder: '', type: 'output' }],
    priority: 0,
    created_at: 1,
    started_at: 2,
    finished_at: 3,
    duration_ms: 1,
    backend: null,
    workflow: { '1': { class_type: 'EmptyImage', inputs: {} } },
    workflow_hash: 'h',
  };
  it('accepts a full record and refuses one without its owner field', () => {
    expect(jobRecordSchema.safeParse(record).success).toBe(true);
    const { owner_id: _owner, ...withoutOwner } = record;
    expect(jobRecordSchema.safeParse(withoutOwner).success).toBe(false);
  });
});
