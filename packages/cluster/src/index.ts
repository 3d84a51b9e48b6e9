export { LEASE_DEFAULTS, createLeaseKeeper } from './lease-keeper.ts';
export type { Lease, LeaseClock, LeaseKeeper, LeaseKeeperOptions, LeaseLossReason } from './lease-keeper.ts';
