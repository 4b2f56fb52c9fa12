// Simulator internals: the text of a run's `drmaa_stdout.txt`, the log
// SGE writes into the run's output folder (ionPlugin.py `SGEPluginJob`:
// `jt.outputPath = ":" + <results_dir>/drmaa_stdout.txt`, `joinFiles`,
// so stdout and stderr together). The file appears when the job starts and
// grows while it runs; a validation failure or a failed submission leaves
// none. The wrapper (templates/plugin/ion_plugin_wrapper.sh.tmpl) reports
// states with `ion-plugin-status`. Plugins print their settings, passwords
// included (RunTransfer's `user_password` lines are why TS ships a script
// that grooms old logs), so a log may hold secrets.

import { RUNNING_STATES } from "../lib/states.ts";
import { jobNow, type JobRow, prFolder, type PrRow, prUrl } from "./store.ts";
import { reportDir } from "./store.ts";

/** Progress messages of some plugins; others get the generic ones. */
const STEPS: Record<string, string[]> = {
  variantCaller: [
    "Reading BAM files and target regions",
    "Running tvc: generating candidate variants",
    "Running tvc: evaluating hotspot alleles",
    "Running tvcassembly for long indels",
    "Merging and annotating VCF files",
    "Writing variant summary tables",
  ],
  coverageAnalysis: [
    "Computing read statistics (samtools)",
    "Computing target coverage (bbctools)",
    "Computing amplicon read coverage",
    "Creating coverage charts",
  ],
  sampleID: [
    "Genotyping SampleID panel SNPs",
    "Computing gender from chrY reads",
  ],
};
const GENERIC = [
  "Reading startplugin.json and barcodes.json",
  "Processing barcodes",
  "Writing results.json",
];
const FAILURES = [
  ["tvc exited with status 1 (see tvc_err.txt)", "RuntimeError"],
  ["Target regions file not found", "IOError"],
  ["No barcodes with sufficient reads to analyze", "ValueError"],
  ["samtools: failed to open BAM file", "subprocess.CalledProcessError"],
] as const;

/** The message a failed run (state `Error`) prints, also its store's `Error`. */
export function failureMessage(pr: PrRow): string {
  return FAILURES[pr.id % FAILURES.length]![0];
}

const stamp = (ms: number) =>
  `[${new Date(Math.floor(ms)).toISOString().slice(0, 19).replace("T", " ")}]`;

/** `key=value` lines of a config's top-level keys (values not redacted). */
function configLines(config: unknown): string[] {
  if (!config || typeof config !== "object" || Array.isArray(config)) {
    return [`  ${JSON.stringify(config ?? {})}`];
  }
  const entries = Object.entries(config as Record<string, unknown>);
  if (!entries.length) return ["  (none)"];
  return entries.map(([k, v]) =>
    `  ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
  );
}

/** The newest job of a run (the one whose output the folder holds). */
function newestJob(pr: PrRow): JobRow | null {
  return pr.jobs.reduce<JobRow | null>(
    (a, j) => (!a || j.id > a.id ? j : a),
    null,
  );
}

/**
 * The content of a run's `drmaa_stdout.txt` at time `now`, or null when
 * there is no such file (no job, or not started yet).
 */
export function pluginLog(pr: PrRow, now: number): string | null {
  const job = newestJob(pr);
  if (!job) return null;
  const cur = jobNow(job, now);
  if (cur.start === null) return null;
  const start = cur.start;
  const planned = job.life?.duration ?? 40 * 60_000;
  const running = RUNNING_STATES.includes(cur.state);
  // A stuck job's node died: its log stops a third of the way.
  const stuck = job.life?.stuck === true;
  const end = cur.end ?? start + planned;
  const p = pr.plugin;
  const dir = `/results/analysis/output/${pr.report.storage ?? "Home"}/${
    reportDir(pr.report)
  }/plugin_out/${prFolder(pr)}`;
  const lines: [number, string][] = [
    [
      start,
      `${
        stamp(start)
      } Plugin ${p.name} --v${p.version} on ${pr.report.resultsName}: pluginresult ${pr.id}, job ${job.id} (SGE ${job.gridEngineJobId}), runlevel ${job.runLevel}`,
    ],
    [start, `${stamp(start)} TSP_FILEPATH_PLUGIN_DIR=${dir}`],
    [start, `${stamp(start)} TSP_URLPATH_PLUGIN_DIR=${prUrl(pr).slice(0, -1)}`],
    // The wrapper's `runinfo` from startplugin.json: it carries the run's
    // own API key (PluginKey auth works with it while the run lasts), so
    // every log holds a secret a reader must not see.
    [
      start,
      `${
        stamp(start)
      } runinfo: {"pk": ${pr.report.id}, "plugin_name": "${p.name}", "pluginresult": ${pr.id}, "api_key": "${pr.apikey}", "net_location": "http://localhost"}`,
    ],
    [
      start,
      `${stamp(start)} Plugin configuration (startplugin.json pluginconfig):`,
    ],
    ...configLines(job.config).map((l): [number, string] => [start, l]),
    [start, `${stamp(start)} ion-plugin-status --state Started`],
  ];
  const steps = STEPS[p.name] ?? GENERIC;
  steps.forEach((msg, i) => {
    const t = start + ((i + 1) / (steps.length + 1)) * (end - start);
    if (stuck && (i + 1) / steps.length > 0.34) return;
    lines.push([t, `${stamp(t)} ${msg}`]);
  });
  if (!running) lines.push(...ending(pr, cur.state, end));
  return lines.filter(([t]) => !running || t <= now).map(([, l]) => l)
    .join("\n") + "\n";
}

/** The last lines of a finished run's log. */
function ending(pr: PrRow, state: string, end: number): [number, string][] {
  const p = pr.plugin;
  const at = (l: string): [number, string] => [end, l];
  switch (state) {
    case "Completed":
      return [
        at(`${stamp(end)} ${p.name} completed successfully`),
        at(`${stamp(end)} ion-plugin-status --state Completed`),
      ];
    case "Error": {
      const [msg, type] = FAILURES[pr.id % FAILURES.length]!;
      const script = `/results/plugins/${p.name}/${p.script}`;
      return [
        at(`${stamp(end)} ERROR: ${p.name} failed: ${msg}`),
        at("Traceback (most recent call last):"),
        at(`  File "${script}", line 312, in launch`),
        at("    self.run_analysis()"),
        at(`  File "${script}", line 188, in run_analysis`),
        at("    raise PluginError(message)"),
        at(`${type}: ${msg}`),
        at(`${stamp(end)} ion-plugin-status --state Error`),
      ];
    }
    case "Timed Out":
      return [
        at(
          `${
            stamp(end)
          } ERROR: job exceeded its runtime limit (h_rt=24:00:00), killed by SGE`,
        ),
        at(`${stamp(end)} ion-plugin-status --state 'Timed Out'`),
      ];
    case "Cancelled":
      return [at(`${stamp(end)} Terminated (SIGTERM): the job was stopped`)];
    default:
      return [at(`${stamp(end)} ion-plugin-status --state ${state}`)];
  }
}
