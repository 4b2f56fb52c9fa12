/**
 * Shapes of the Torrent Suite REST API objects the toolkit reads, as served by
 * `/rundb/api/v1/` on Torrent Suite 5.4–5.18 (Tastypie 0.11.1). Only the fields
 * the toolkit uses are typed; servers send more.
 *
 * @module
 */

/** A plugin's launch config (`pluginconfig`): always a JSON object. */
export type PluginConfig = Record<string, unknown>;

/** The `meta` block of a Tastypie list response. */
export interface ListMeta {
  /** Effective page size (capped at 1000 by the server). */
  limit: number;
  /** Offset of this page. */
  offset: number;
  /** Number of objects matching the filters. */
  total_count: number;
  /** Path-only URL of the next page, or `null` on the last page. */
  next: string | null;
  /** Path-only URL of the previous page, or `null` on the first page. */
  previous: string | null;
}

/** A Tastypie list response. */
export interface ListPage<T> {
  /** Paging information. */
  meta: ListMeta;
  /** The objects of this page. */
  objects: T[];
}

/** An analysis plugin (`/rundb/api/v1/plugin/<id>/`). */
export interface Plugin {
  /** Primary key. */
  id: number;
  /** `/rundb/api/v1/plugin/<id>/`. */
  resource_uri: string;
  /** Case-sensitive plugin name, e.g. `"coverageAnalysis"`. */
  name: string;
  /** Version string, e.g. `"5.12.0.1"`. */
  version: string;
  /** Installed and present (the API only lists active plugins). */
  active: boolean;
  /** "Enabled" on the plugin configuration page: needed to launch. */
  selected: boolean;
  /** Short description. */
  description?: string;
  /** Install datetime. */
  date?: string;
  /** True when a manual launch with an empty config fails validation. */
  requires_configuration?: boolean;
  /** Whether results show in the report's main section. */
  majorBlock?: boolean;
  /** The plugin's global config (set on its configuration page), `{}` for none. */
  config?: Record<string, unknown> | null;
}

/** A sequencing report (`/rundb/api/v1/results/<id>/`). */
export interface Report {
  /** Primary key: the report key used everywhere in this toolkit. */
  id: number;
  /** `/rundb/api/v1/results/<id>/`. */
  resource_uri: string;
  /** Report name; not unique. */
  resultsName: string;
  /** Analysis status, e.g. `"Completed"`. */
  status: string;
  /** Report datetime. */
  timeStamp: string;
  /** `/output/Home/<resultsName>_<pk:03d>/`. */
  reportLink: string;
  /** URI of the experiment (run). */
  experiment?: string;
  /**
   * URI of the analysis settings (the plan's, for this report): their
   * `selectedPlugins` hold each plugin's planned config (`userInput`).
   */
  eas?: string | null;
  /** Report metadata; a truthy `thumb` marks a thumbnail report (S5, Proton). */
  metaData?: Record<string, unknown> | null;
  /** The status group: `state` is Completed, Error, Progress or Other. */
  i18nstatus?: { i18n?: string; state?: string } | null;
  /** Newest plugin state per plugin name (detail view only). */
  pluginState?: Record<string, string>;
}

/** A report's analysis settings (`/rundb/api/v1/experimentanalysissettings/<id>/`). */
export interface AnalysisSettings {
  /** Primary key. */
  id: number;
  /** `/rundb/api/v1/experimentanalysissettings/<id>/`. */
  resource_uri: string;
  /** The plan's plugins, by name, with their planned config. */
  selectedPlugins?:
    | Record<
      string,
      { name?: string; userInput?: unknown } | null
    >
    | null;
}

/** One job of a plugin result. */
export interface PluginResultJob {
  /** Primary key. */
  id: number;
  /** Job state. */
  state: string;
  /** Run level, e.g. `"default"`. */
  run_level: string;
  /** Start datetime or `null`. */
  starttime: string | null;
  /** End datetime or `null`. */
  endtime: string | null;
  /** The config the job ran with (the effective one; may hold secrets). */
  config?: unknown;
}

/** One run of a plugin on a report (`/rundb/api/v1/pluginresult/<id>/`). */
export interface PluginResult {
  /** Primary key; higher ids are newer runs. */
  id: number;
  /** `/rundb/api/v1/pluginresult/<id>/`. */
  resource_uri: string;
  /** URI of the report, `/rundb/api/v1/results/<pk>/`. */
  result: string;
  /** URI of the plugin version that ran. */
  plugin: string;
  /** Plugin name (computed). */
  pluginName: string;
  /** Plugin version (computed). */
  pluginVersion: string;
  /** URI of the user who launched it, `/rundb/api/v1/user/<id>/`. */
  owner?: string;
  /** Computed state of the newest job. */
  state: string;
  /** Earliest job start, or `null`. */
  starttime: string | null;
  /** Latest job end, or `null`. */
  endtime: string | null;
  /** Server path of the output folder. */
  path?: string;
  /** Web path of the output folder. */
  URL?: string;
  /** Report name. */
  resultName?: string;
  /** Whether the run can still be stopped. */
  can_terminate?: boolean;
  /** Validation errors of the launch config, if any. */
  validation_errors?: { validation_errors?: string[] } | null;
  /** The run's jobs. */
  plugin_result_jobs?: PluginResultJob[];
  /**
   * The run's `results.json` as the plugin last PATCHed it: `{}` until then,
   * possibly stale; every float comes back as a string.
   */
  store?: Record<string, unknown>;
}
