import assert from "node:assert/strict";
import { causeChain, codes, findIn } from "../../../lib/http/_causes.ts";

const coded = (message: string, code: string, cause?: unknown) =>
  Object.assign(new Error(message, { cause }), { code });

Deno.test("causeChain(), codes() and findIn() read an error and its causes", () => {
  const inner = Object.assign(
    coded("self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT"),
    {
      cert: { subject: { CN: "ts" } },
    },
  );
  const outer = new Error("fetch failed", {
    cause: coded("connect failed", "UND_ERR_SOCKET", inner),
  });
  assert.equal(
    causeChain(outer),
    "fetch failed: connect failed: self-signed certificate",
  );
  assert.deepEqual(codes(outer), [
    "UND_ERR_SOCKET",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
  ]);
  assert.equal(findIn(outer, "cert"), inner);
  assert.equal(findIn(outer, "nothing"), undefined);
  assert.equal(causeChain("plain"), "plain");
  const same = new Error("x", { cause: new Error("x") });
  assert.equal(causeChain(same), "x", "a repeated message once");
});
