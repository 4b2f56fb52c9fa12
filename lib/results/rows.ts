/**
 * The results table: one row per (report, barcode) with each plugin's chosen
 * run and the values of its store, built report by report as the runs are
 * read, so a streamed output never holds the whole table.
 *
 * @module
 */

import type { TsClient } from "../http/mod.ts";
import {
  chooseRuns,
  reasonText,
  type RunChoice,
  type RunPick,
} from "../api/mod.ts";
import type { PluginResult } from "../types.ts";
import { leafPaths, valueAt, type ValueColumn } from "./columns.ts";
import { type Cell, parseCell, rawCell } from "./values.ts";

/** One row of the table, by column name. */
export type ResultRow = Record<string, Cell>;

/** The columns every table starts with. */
export const LEADING_COLUMNS: readonly string[] = [
  "report",
  "report_name",
  "barcode",
  "sample",
];

/** The columns every plugin adds before its values. */
export const RUN_FIELDS: readonly string[] = [
  "run",
  "state",
  "version",
  "error",
  "note",
  "url",
];

/**
 * Header of a table of these plugins and value columns: the leading
 * columns, then per plugin `<plugin>.run`, `.state`, `.version`, `.error`,
 * `.note`, `.url`, then the value columns.
 *
 * @param plugins Plugin names.
 * @param columns Value columns.
 * @returns Column names, in order.
 */
export function tableHeader(
  plugins: readonly string[],
  columns: readonly ValueColumn[],
): string[] {
  return [
    ...LEADING_COLUMNS,
    ...plugins.flatMap((p) => RUN_FIELDS.map((f) => `${p}.${f}`)),
    ...columns.map((c) => c.name),
  ];
}

/** One sample's part of a store: a barcode's, or the whole store. */
export interface StorePart {
  /** Barcode name; `""` for a non-barcoded run. */
  barcode: string;
  /** The keys of that sample. */
  data: Record<string, unknown>;
}

/**
 * Splits a store by barcode: `store.barcodes.<barcode>` for barcoded runs,
 * the store itself for the others.
 *
 * @param store A run's store.
 * @returns The parts, barcodes in name order.
 */
export function storeParts(store: unknown): StorePart[] {
  if (!isObject(store)) return [];
  const barcodes = store.barcodes;
  if (isObject(barcodes)) {
    return Object.keys(barcodes).sort().flatMap((barcode) => {
      const data = barcodes[barcode];
      return isObject(data) ? [{ barcode, data }] : [];
    });
  }
  return [{ barcode: "", data: store }];
}

/** Why a Completed run has no values to show, or `null`. */
function noMetrics(plugin: string, run: PluginResult): string | null {
  const store = run.store;
  if (!isObject(store) || Object.keys(store).length === 0) {
    return "no-metrics: empty store (the plugin's results PATCH may have failed; results.json is in the run folder)";
  }
  if (!isObject(store.barcodes) && plugin === "variantCaller") {
    const keys = Object.keys(store).filter((k) =>
      k !== "files" && k !== "barcoded"
    );
    if (keys.length === 0) {
      return "no-metrics: variantCaller keeps no counts in the store of a non-barcoded run (read its VCF)";
    }
  }
  return null;
}

/** Options for {@linkcode resultRows}. */
export interface ResultRowsOptions {
  /** Which run per pair (default the newest Completed). */
  pick?: RunPick;
  /** Keep the server's text instead of parsing values. */
  raw?: boolean;
  /** Reports per look-up. */
  batchSize?: number;
  /** Aborts the look-ups. */
  signal?: AbortSignal;
}

/** What {@linkcode resultRows} yields: a row, and whether it has values. */
export interface ResultRowEvent {
  /** The row. */
  row: ResultRow;
  /** The report's choices (one per plugin), for footers and exit codes. */
  choices: readonly RunChoice[];
}

/**
 * Builds the table report by report: per report, one row per barcode seen in
 * any plugin's chosen run (one row for non-barcoded runs and for reports
 * without a usable run, with the reason in `<plugin>.note`).
 *
 * @example
 * ```ts
 * import { createClient } from "../http/mod.ts";
 * import { resolveColumns, resultRows } from "./mod.ts";
 * import { startSimulator } from "../../simulator/mod.ts";
 * await using server = await startSimulator({ reports: 2 });
 * const [user] = server.users;
 * using client = await createClient({ url: server.url, user: user!.username, apiKey: user!.apiKey });
 * const plugins = ["coverageAnalysis"];
 * const columns = resolveColumns(plugins, ["mean_depth"]);
 * for await (const { row } of resultRows(client, server.reportIds(), { plugins, columns })) {
 *   if (!("mean_depth" in row)) throw new Error();
 * }
 * ```
 *
 * @param client The API client.
 * @param reports Report keys.
 * @param table Plugins and value columns.
 * @param options Run choice, raw values, batch size, signal.
 * @returns The rows, in report order.
 */
export async function* resultRows(
  client: TsClient,
  reports: Iterable<number>,
  table: { plugins: readonly string[]; columns: readonly ValueColumn[] },
  options: ResultRowsOptions = {},
): AsyncGenerator<ResultRowEvent, void, undefined> {
  let group: RunChoice[] = [];
  const flush = function* () {
    for (const row of rowsOfReport(group, table, options.raw ?? false)) {
      yield { row, choices: group };
    }
  };
  for await (
    const choice of chooseRuns(client, reports, table.plugins, {
      ...(options.pick !== undefined ? { pick: options.pick } : {}),
      ...(options.batchSize !== undefined
        ? { batchSize: options.batchSize }
        : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    })
  ) {
    if (group.length && group[0]!.report !== choice.report) {
      yield* flush();
      group = [];
    }
    group.push(choice);
  }
  if (group.length) yield* flush();
}

/**
 * The rows of one report from its choices (one per plugin).
 *
 * @param choices The report's chosen runs.
 * @param table Plugins and value columns.
 * @param raw Keep the server's text.
 * @returns The rows.
 */
export function rowsOfReport(
  choices: readonly RunChoice[],
  table: { plugins: readonly string[]; columns: readonly ValueColumn[] },
  raw: boolean,
): ResultRow[] {
  const cell = raw ? rawCell : parseCell;
  const parts = new Map<string, Map<string, Record<string, unknown>>>();
  const barcodes: string[] = [];
  for (const c of choices) {
    const byBarcode = new Map<string, Record<string, unknown>>();
    for (const part of c.run ? storeParts(c.run.store) : []) {
      byBarcode.set(part.barcode, part.data);
      if (!barcodes.includes(part.barcode)) barcodes.push(part.barcode);
    }
    parts.set(c.plugin, byBarcode);
  }
  barcodes.sort();
  if (barcodes.length > 1) {
    // A non-barcoded part beside barcoded ones (e.g. a run-level plugin)
    // would make a row of its own; its values go on every barcode's row.
    const shared = barcodes.indexOf("");
    if (shared !== -1) barcodes.splice(shared, 1);
  }
  if (barcodes.length === 0) barcodes.push("");
  const first = choices.find((c) => c.reportName) ?? choices[0]!;
  return barcodes.map((barcode) => {
    const row: ResultRow = {
      report: first.report,
      report_name: first.reportName || null,
      barcode: barcode || null,
      sample: null,
    };
    for (const c of choices) {
      const data = parts.get(c.plugin)?.get(barcode) ??
        parts.get(c.plugin)?.get("");
      Object.assign(row, runFields(c, data));
      const sample = data?.["Sample Name"];
      if (row.sample === null && typeof sample === "string" && sample) {
        row.sample = sample;
      }
    }
    for (const column of table.columns) {
      const data = parts.get(column.plugin)?.get(barcode) ??
        parts.get(column.plugin)?.get("");
      row[column.name] = data === undefined
        ? null
        : valueOf(column, data, cell);
    }
    return row;
  });
}

function valueOf(
  column: ValueColumn,
  data: Record<string, unknown>,
  cell: (v: unknown) => Cell,
): Cell {
  for (const path of column.paths) {
    const value = valueAt(data, path);
    if (value !== undefined) {
      return cell(column.derive ? column.derive(value) : value);
    }
  }
  return null;
}

/** A plugin's run columns on one row. */
function runFields(
  c: RunChoice,
  data: Record<string, unknown> | undefined,
): ResultRow {
  const p = c.plugin;
  const run = c.run;
  const notes: string[] = [];
  if (!run) notes.push(reasonText(c));
  else {
    const missing = noMetrics(p, run);
    if (missing) notes.push(missing);
  }
  for (const newer of run ? c.newer : []) {
    notes.push(`newer run ${newer.id} is ${newer.state}`);
  }
  const storeError = isObject(run?.store) ? run.store.Error : undefined;
  const error = typeof data?.Error === "string"
    ? data.Error
    : typeof storeError === "string"
    ? storeError
    : null;
  return {
    [`${p}.run`]: run?.id ?? null,
    [`${p}.state`]: run?.state ?? null,
    [`${p}.version`]: run?.pluginVersion ?? null,
    [`${p}.error`]: error,
    [`${p}.note`]: notes.length ? notes.join("; ") : null,
    [`${p}.url`]: run?.URL ?? null,
  };
}

/**
 * Counts the leaf key paths of the chosen runs' stores, for
 * `--list-columns`: per plugin, each path with the number of samples
 * (barcodes, or runs when not barcoded) that have it.
 *
 * @param choices Chosen runs.
 * @returns Plugin → path → count.
 */
export function countKeys(
  choices: Iterable<RunChoice>,
): Map<string, Map<string, number>> {
  const counts = new Map<string, Map<string, number>>();
  for (const c of choices) {
    if (!c.run) continue;
    const forPlugin = counts.get(c.plugin) ?? new Map<string, number>();
    counts.set(c.plugin, forPlugin);
    for (const part of storeParts(c.run.store)) {
      for (const path of new Set(leafPaths(part.data))) {
        if (part.barcode && path === "barcodes") continue;
        forPlugin.set(path, (forPlugin.get(path) ?? 0) + 1);
      }
    }
  }
  return counts;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
