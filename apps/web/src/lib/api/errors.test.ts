import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.ts';

describe('ApiError', () => {
  it('reads per-field messages and suggestions from the gateway error body', () => {
    const err = new ApiError({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: 'checkpoint: not available',
      details: {
        fields: { checkpoint: ['"x" is not available'], sampler: ['bad'] },
        suggestions: { checkpoint: ['sd_xl_base_1.0.safetensors'] },
        issues: [
          { field: 'checkpoint', suggestions: ['sd_xl_base_1.0.safetensors'] },
          { field: 'sampler', suggestions: ['euler'] },
        ],
      },
    });
    expect(err.fieldErrors).toEqual({ checkpoint: ['"x" is not available'], sampler: ['bad'] });
    // Regression: the same suggestion in `suggestions` and `issues` was listed twice, and the
    // keyed {#each} over the list threw, leaving the form stuck on "Queueing...".
    expect(err.suggestions).toEqual({ checkpoint: ['sd_xl_base_1.0.safetensors'], sampler: ['euler'] });
  });

  it('has no fields or suggestions for other errors', () => {
    const err = new ApiError({ status: 503, code: 'COMFY_UNAVAILABLE', message: 'down' });
    expect(err.fieldErrors).toEqual({});
    expect(err.suggestions).toEqual({});
  });
});
