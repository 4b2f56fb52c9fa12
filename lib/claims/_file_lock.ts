// A short-lived exclusive lock on a file (flock), for read-modify-write
// sections shared between processes: the claims registry, a journal's lock
// record. The kernel releases it when the holder dies, so a crash never
// leaves it held. Within one process, callers queue on a promise chain too:
// the file lock serializes processes, not the tasks of one process.

const queues = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` while holding an exclusive lock on `path` (created if missing).
 * Keep `fn` short: other processes wait for it.
 */
export function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(async () => {
    const file = await Deno.open(path, {
      read: true,
      write: true,
      create: true,
      mode: 0o600,
    });
    try {
      await file.lock(true);
      return await fn();
    } finally {
      file.close(); // releases the lock
    }
  });
  const settled = run.catch(() => {});
  queues.set(path, settled);
  settled.then(() => {
    if (queues.get(path) === settled) queues.delete(path);
  });
  return run;
}
