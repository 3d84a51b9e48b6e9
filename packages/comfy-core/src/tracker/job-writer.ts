import type { ErrorHook } from '../types.ts';
import type { JobRepository, JobState } from './job-repository.ts';

/**
 * Writes job state through the repository: per job in order (a slow write never lets an older
 * state overwrite a newer one), failures to the error hook, never thrown at the caller.
 */
export function createJobWriter(o: { repository: JobRepository; onError: ErrorHook }) {
  const chains = new Map<string, Promise<void>>();

  return {
    save(state: JobState): void {
      const id = state.promptId;
      const next = (chains.get(id) ?? Promise.resolve())
        .then(() => o.repository.saveState(state))
        .catch((err: unknown) => o.onError('tracker.saveState', err));
      chains.set(id, next);
      void next.then(() => {
        if (chains.get(id) === next) chains.delete(id);
      });
    },

    /** Resolves once every write of this job so far has settled (before reading it back). */
    settled: (promptId: string): Promise<void> => chains.get(promptId) ?? Promise.resolve(),

    /** Resolves once every write so far has settled (tests, shutdown). */
    flush: async (): Promise<void> => void (await Promise.all([...chains.values()])),
  };
}

export type JobWriter = ReturnType<typeof createJobWriter>;
