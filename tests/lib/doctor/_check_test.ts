import assert from "node:assert/strict";
import { skip } from "../../../lib/doctor/_check.ts";

Deno.test("skip() names the check that made this one meaningless", () => {
  assert.deepEqual(skip("read", "Reports and runs", "the credentials"), {
    id: "read",
    title: "Reports and runs",
    status: "skip",
    detail: "not checked: needs the credentials",
  });
});
