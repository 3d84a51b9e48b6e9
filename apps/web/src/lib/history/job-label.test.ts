import { describe, expect, it } from 'vitest';
import { jobThumbnail, jobTitle } from './job-label.ts';

describe('job labels', () => {
  it('names a text2img run by its caption and a workflow by its kind', () => {
    expect(jobTitle({ kind: 'text2img', params: { caption: 'A red fox' } })).toBe('A red fox');
    expect(jobTitle({ kind: 'text2img', params: { caption: '  ' } })).toBe('Text to image');
    expect(jobTitle({ kind: 'workflow', params: null })).toBe('Workflow run');
  });

  it('prefers an output image for the thumbnail', () => {
    const temp = { filename: 't.png', subfolder: '', type: 'temp' as const };
    const out = { filename: 'o.png', subfolder: '', type: 'output' as const };
    expect(jobThumbnail({ images: [temp, out] })).toEqual(out);
    expect(jobThumbnail({ images: [temp] })).toEqual(temp);
    expect(jobThumbnail({ images: [] })).toBeNull();
  });
});
