export { createJobTracker } from './job-tracker.ts';
export type { JobTracker, JobTrackerOptions, TrackerStats } from './job-tracker.ts';
export { imagesOf, percentOf, snapshotOf, statusFromHistory } from './job-record.ts';
