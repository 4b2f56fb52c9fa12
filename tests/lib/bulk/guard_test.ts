import assert from "node:assert/strict";
import { guard, type RerunPolicy } from "../../../lib/bulk/guard.ts";

const NOW = Date.parse("2026-03-02T12:00:00Z");
const ago = (h: number) =>
  new Date(NOW - h * 3_600_000).toISOString().replace("Z", "+00:00");

Deno.test("guard() decides per rerun policy and class", () => {
  const cases: [
    { state: string; starttime: string | null } | undefined,
    RerunPolicy,
    boolean,
  ][] = [
    [undefined, ["failed"], true],
    [undefined, [], true], // never run: always launched
    [{ state: "Started", starttime: ago(1) }, ["failed"], false],
    [{ state: "Queued", starttime: null }, [], false],
    [{ state: "Pending", starttime: null }, "always", true],
    [{ state: "Completed", starttime: ago(3) }, [
      "failed",
      "cancelled",
      "stale",
    ], false],
    [{ state: "Completed", starttime: ago(3) }, "always", true],
    [{ state: "Error", starttime: ago(3) }, ["failed"], true],
    [{ state: "Error", starttime: ago(3) }, [], false],
    [{ state: "Failed Validation", starttime: null }, ["failed"], true],
    [{ state: "Timed Out", starttime: ago(30) }, ["failed"], true],
    // Cancelled: a class of its own, not relaunched by default.
    [{ state: "Cancelled", starttime: ago(2) }, ["failed"], false],
    [{ state: "Cancelled", starttime: ago(2) }, ["cancelled"], true],
    // Stale: Started past 25 h, never swept by the server.
    [{ state: "Started", starttime: ago(30) }, ["failed"], false],
    [{ state: "Started", starttime: ago(30) }, ["stale"], true],
  ];
  for (const [run, policy, launch] of cases) {
    const latest = run === undefined ? undefined : { id: 9, ...run };
    assert.equal(
      guard(latest, { policy, now: NOW }).launch,
      launch,
      `${JSON.stringify(run)} ${JSON.stringify(policy)}`,
    );
  }
  const running = guard({ id: 9, state: "Started", starttime: ago(1) }, {
    now: NOW,
  });
  assert.match(running.reason, /running: run 9/);
  assert.equal(running.class, "running");
  const stale = guard({ id: 9, state: "Started", starttime: ago(30) }, {
    now: NOW,
  });
  assert.equal(stale.class, "stale");
  assert.match(stale.reason, /stale: run 9 is Started since .*--rerun stale/);
  // The start time as ISO 8601 UTC with ms, not Tastypie's raw string (its
  // six digits hold milliseconds).
  const raw = guard({
    id: 10,
    state: "Started",
    starttime: "2026-03-01T03:08:04.000597+00:00",
  }, { now: Date.parse("2026-03-03T00:00:00Z") });
  assert.match(raw.reason, /since 2026-03-01T03:08:04\.597Z /);
  assert.match(
    guard({ id: 9, state: "Cancelled", starttime: null }, { now: NOW }).reason,
    /cancelled by a user: run 9 .*--rerun cancelled/,
  );
  // A different limit, and the journal's launch time for a queued run.
  assert.equal(
    guard({ id: 9, state: "Started", starttime: ago(30) }, {
      now: NOW,
      staleAfterMs: 48 * 3_600_000,
    }).class,
    "running",
  );
  assert.equal(
    guard({ id: 9, state: "Queued", starttime: null }, {
      now: NOW,
      launchedAt: NOW - 30 * 3_600_000,
    }).class,
    "stale",
  );
});
