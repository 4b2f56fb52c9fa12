/**
 * The doctor's door: checks a set-up step by step (URL, TLS, credentials,
 * reading, run logs, proxy, clock), with a fix for each failure.
 *
 * @module
 */

export {
  type CheckStatus,
  type DoctorCheck,
  type DoctorOptions,
  type DoctorReport,
  runDoctor,
} from "./doctor.ts";
