// Tests of the report status groups behind `i18nstatus.state`.

import assert from "node:assert/strict";
import { i18nStatus, statusGroup } from "../../simulator/report_status.ts";

Deno.test("statusGroup() follows get_status_mappings", () => {
  const cases: [string, string][] = [
    ["Completed", "Completed"],
    ["Completed with 1 error(s)", "Error"],
    ["Completed with 12 errors", "Error"],
    ["Error in Alignment", "Error"],
    ["Error in Basecaller", "Error"],
    ["Alignment", "Progress"],
    ["Started", "Progress"],
    ["Pending", "Other"],
    ["TERMINATED", "Other"],
    ["Something new", "Other"],
  ];
  for (const [status, group] of cases) {
    assert.equal(statusGroup(status), group, status);
  }
  assert.deepEqual(i18nStatus("Alignment"), {
    i18n: "Alignment",
    state: "Progress",
  });
});
