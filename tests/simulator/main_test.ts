import assert from "node:assert/strict";
import { main } from "../../simulator/main.ts";
import { API, API_KEY, U } from "./_helpers.ts";

Deno.test("main(): help, usage errors, serve until stopped", async () => {
  const lines: string[] = [];
  const io = {
    stdout: (l: string) => lines.push(l),
    stderr: (l: string) => lines.push(`E ${l}`),
  };
  assert.equal(await main(["--help"], io), 0);
  const help = lines.splice(0).join("\n");
  assert.match(help, /^Usage: simulator \[options\]/);
  assert.match(help, /--failure-rate <f>/);
  assert.match(help, /Users: ionadmin/);
  for (
    const flag of [
      "--slots <n>",
      "--plugin-run-ms <list>",
      "--run-spread <f>",
      "--stuck-rate <f>",
      "--unknown-rate <f>",
      "--no-config-chain",
      "--create-delay-ms <n>",
      "--broken-reports <ids>",
      "--stop-ms <n>",
      "--stop-error-rate <f>",
      "--object-cost-ms <n>",
      "--store-cost-ms <n>",
      "--store-patch-fail-rate <f>",
      "--bam-bytes <n>",
      "--basic-auth-cost-ms <n>",
      "--archived-rate <f>",
      "--file-cut-rate <f>",
      "--thumbnails",
      "--no-logs",
      "--state-file <path>",
      "--profile <name>",
      "--time-scale <f>",
      "--scheduler-interval-ms <n>",
      "--stuck-queued-rate <f>",
      "--broken-report-runs",
      "--django-basic-bug",
      "--wsgi-max-requests <n>",
      "--wsgi-startup-ms <n>",
      "--production-reports-per-hour <f>",
      "--production-manual-per-hour <f>",
    ]
  ) assert.ok(help.includes(flag), flag);
  assert.equal(await main(["--bogus"], io), 2);
  const profileLines: string[] = [];
  assert.equal(
    await main(["--profile", "nope"], {
      stderr: (l) => profileLines.push(l),
    }),
    2,
  );
  assert.match(profileLines.join("\n"), /--profile takes realistic/);
  assert.equal(lines.pop(), 'E Run "simulator --help" for usage.');
  assert.equal(lines.pop(), "E simulator: unknown option '--bogus'");
  assert.equal(await main(["--failure-rate", "2"], io), 2);
  assert.match(lines.at(-2)!, /--failure-rate must be a number from 0 to 1/);
  assert.equal(await main(["--tls-cert", "x.pem"], io), 2);
  assert.match(lines.at(-2)!, /--tls-cert and --tls-key go together/);
  const usage: [string[], RegExp][] = [
    [["--slots", "-1"], /--slots must be a number from 0/],
    [["--plugin-run-ms", "igv"], /--plugin-run-ms takes name=ms/],
    [["--broken-reports", "1,x"], /--broken-reports takes report ids/],
    [["--stuck-rate", "1.5"], /--stuck-rate must be a number from 0 to 1/],
  ];
  for (const [args, message] of usage) {
    assert.equal(await main(args, io), 2, args.join(" "));
    assert.match(lines.at(-2)!, message);
  }
  lines.length = 0;
  const stop = new AbortController();
  const done = main(["--port", "0", "--reports", "5"], {
    ...io,
    signal: stop.signal,
  });
  while (!lines.length) await new Promise((r) => setTimeout(r, 10));
  const url =
    /^Torrent Suite simulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(
      lines[0]!,
    )![1];
  const res = await fetch(`${url}${API}torrentsuite/version/`);
  assert.equal(res.status, 200);
  await res.body?.cancel();
  stop.abort();
  assert.equal(await done, 0);
  assert.ok(!lines.join("\n").includes(U.apiKey));
});

Deno.test("main(): the new options reach the simulator", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sim-main-" });
  const lines: string[] = [];
  const stop = new AbortController();
  const done = main([
    "--reports",
    "30",
    "--slots",
    "1",
    "--no-config-chain",
    "--thumbnails",
    "--broken-reports",
    "2",
    "--state-file",
    `${dir}/state.json`,
  ], {
    stdout: (l) => lines.push(l),
    stderr: (l) => lines.push(l),
    signal: stop.signal,
  });
  while (!lines.length) await new Promise((r) => setTimeout(r, 10));
  const url = lines[0]!.split(" ").at(-1)!;
  const get = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${url}${path}`, {
      ...init,
      headers: { ...API_KEY, "Content-Type": "application/json" },
    });
    return { status: res.status, text: await res.text() };
  };
  const thumbs = JSON.parse(
    (await get(`${API}results/?isThumbnail=yes&limit=1`)).text,
  );
  assert.ok(thumbs.meta.total_count > 0, "--thumbnails");
  const post = (report: number) =>
    get(`${API}results/${report}/plugin/`, {
      method: "POST",
      body: '{"plugin": "variantCaller"}',
    });
  assert.equal((await post(2)).status, 500, "--broken-reports");
  assert.equal((await post(1)).status, 202);
  const run = JSON.parse(
    (await get(
      `${API}pluginresult/?result=1&plugin__name=variantCaller&order_by=-id&limit=1`,
    ))
      .text,
  ).objects[0];
  assert.equal(run.state, "Failed Validation", "--no-config-chain");
  stop.abort();
  assert.equal(await done, 0);
  const saved = JSON.parse(await Deno.readTextFile(`${dir}/state.json`));
  assert.equal(saved.prs.at(-1).id, run.id, "--state-file");
  await Deno.remove(dir, { recursive: true });
});
