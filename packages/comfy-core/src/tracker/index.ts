export { createJobTracker } from './job-tracker.ts';
export type { JobTracker, JobTrackerOptions } from './job-tracker.ts';
export type { TrackerStats } from './job-poller.ts';
export { imagesOf, percentOf, snapshotOf, statusFromHistory } from './job-record.ts';
export type { JobRepository, JobState, StoredJob } from './job-repository.ts';
export { createMemoryJobRepository } from './memory-job-repository.ts';
export { EVENT_BUFFER, EVENT_ID_BLOCK } from './job-events.ts';
export type { JobStream, StreamOptions } from './stream.ts';
