/**
 * The claims door: how launchers on one machine (and machines sharing the
 * home folder) keep off each other's pairs: the registry of claims per
 * server (named by the server's identity, not its URL as written), the
 * process beacons that tell a live, stopped or dead holder apart, and the
 * journal's lock.
 *
 * @module
 */

export { defaultRegistryDir } from "./registry_dir.ts";
export {
  type ClaimRequest,
  type ClaimResult,
  launchTimes,
  Registry,
  type RegistryOptions,
  serverKey,
} from "./_registry.ts";
export {
  Beacon,
  describeOwner,
  isAlive,
  isOwner,
  type Owner,
  ownerState,
} from "./_beacon.ts";
export { type JobLock, lockJob } from "./_job_lock.ts";
export {
  canonicalAddress,
  identifyServer,
  type Resolver,
  type ServerIdentity,
} from "./_server_identity.ts";
