/**
 * Columns of the results table: built-in aliases per plugin for the store
 * keys labs read most, and store key paths for everything else, so any
 * plugin works.
 *
 * The keys are the plugins' own (Torrent Suite 5.18 source): the lines of
 * coverageAnalysis's `<stem>.stats.cov.txt`, variantCaller's per-barcode
 * `variants`/`hotspots` counts, sampleID's `Sample ID` (its first letter is
 * the gender call).
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** A path into a sample's part of a store: `["variants", "het_snps"]`. */
export type KeyPath = readonly string[];

/** One built-in column of a plugin. */
export interface Alias {
  /** Column name; `…_pct` when the value is a percentage. */
  name: string;
  /** Key paths to try in order (the keys differ with the library type). */
  paths: readonly KeyPath[];
  /** Makes the cell from the value found (default: the value itself). */
  derive?: (value: unknown) => unknown;
  /** Shown when no `--columns` is given. */
  default?: boolean;
}

const k = (...keys: string[]): KeyPath => keys;

const COVERAGE: readonly Alias[] = [
  { name: "mapped_reads", paths: [k("Number of mapped reads")], default: true },
  {
    name: "on_target_pct",
    paths: [k("Percent reads on target"), k("Percent base reads on target")],
    default: true,
  },
  {
    name: "mean_depth",
    paths: [
      k("Average base coverage depth"),
      k("Average base coverage depth per target"),
      k("Average reads per amplicon"),
    ],
    default: true,
  },
  {
    name: "uniformity_pct",
    paths: [
      k("Uniformity of base coverage"),
      k("Uniformity of amplicon coverage"),
      k("Uniformity of base coverage per target"),
    ],
    default: true,
  },
  { name: "amplicons", paths: [k("Number of amplicons")] },
  {
    name: "assigned_pct",
    paths: [
      k("Percent assigned amplicon reads"),
      k("Percent assigned target reads"),
    ],
  },
  { name: "reads_per_amplicon", paths: [k("Average reads per amplicon")] },
  {
    name: "end_to_end_pct",
    paths: [k("Amplicons reading end-to-end"), k("Percent end-to-end reads")],
  },
  {
    name: "no_strand_bias_pct",
    paths: [
      k("Amplicons with no strand bias"),
      k("Target bases with no strand bias"),
    ],
  },
  { name: "sample_tracking_pct", paths: [k("Percent sample tracking reads")] },
  {
    name: "at_20x_pct",
    paths: [
      k("Target base coverage at 20x"),
      k("Amplicons with at least 20 reads"),
    ],
  },
  {
    name: "at_100x_pct",
    paths: [
      k("Target base coverage at 100x"),
      k("Amplicons with at least 100 reads"),
    ],
  },
  {
    name: "at_500x_pct",
    paths: [
      k("Target base coverage at 500x"),
      k("Amplicons with at least 500 reads"),
    ],
  },
  {
    name: "target_regions",
    paths: [k("Target Regions"), k("Targeted Regions")],
  },
];

const counts = (
  group: "variants" | "hotspots",
  field: string,
  name = field,
) => ({
  name,
  paths: [k(group, field)],
});

const VARIANTS: readonly Alias[] = [
  { ...counts("variants", "variants"), default: true },
  { ...counts("variants", "het_snps"), default: true },
  { ...counts("variants", "homo_snps"), default: true },
  { ...counts("variants", "het_indels"), default: true },
  { ...counts("variants", "homo_indels"), default: true },
  counts("variants", "other"),
  counts("variants", "no_call"),
  { ...counts("hotspots", "variants", "hotspots"), default: true },
  counts("hotspots", "het_snps", "hotspot_het_snps"),
  counts("hotspots", "homo_snps", "hotspot_homo_snps"),
  { name: "configuration", paths: [k("Configuration")] },
  { name: "library_type", paths: [k("Library Type")] },
  { name: "deamination", paths: [k("deamination_metric")] },
];

const SAMPLE_ID: readonly Alias[] = [
  { name: "sample_id", paths: [k("Sample ID")], default: true },
  {
    name: "gender",
    paths: [k("Sample ID")],
    // The haplotype code's first letter is the call: F…, M…; anything else
    // (e.g. "N/A", "?") is no call.
    derive: (v) =>
      typeof v === "string" && /^[FM]/i.test(v.trim())
        ? v.trim()[0]!.toUpperCase()
        : null,
    default: true,
  },
  { name: "mapped_reads", paths: [k("Number of mapped reads")], default: true },
  { name: "id_reads", paths: [k("Number of reads in sample ID regions")] },
  {
    name: "id_reads_pct",
    paths: [k("Percent reads in sample ID regions")],
    default: true,
  },
  { name: "loci_20x_pct", paths: [k("loci_cov", "Coverage at 20x")] },
];

const MOLECULAR: readonly Alias[] = [
  {
    name: "median_coverage",
    paths: [
      k("Median molecular coverage per amplicon"),
      k("Median molecular coverage"),
    ],
    default: true,
  },
  {
    name: "uniformity_pct",
    paths: [
      k("Uniformity of molecular coverage"),
      k("Uniformity of molecular coverage per amplicon"),
    ],
    default: true,
  },
  { name: "mapped_reads", paths: [k("Number of mapped reads")], default: true },
  { name: "amplicons", paths: [k("Number of amplicons")] },
];

/** Built-in aliases, by plugin name. */
export const ALIASES: Readonly<Record<string, readonly Alias[]>> = {
  coverageAnalysis: COVERAGE,
  variantCaller: VARIANTS,
  sampleID: SAMPLE_ID,
  molecularCoverageAnalysis: MOLECULAR,
};

/** One column of the table taken from a plugin's stores. */
export interface ValueColumn {
  /** Header. */
  name: string;
  /** The plugin whose store it reads. */
  plugin: string;
  /** Key paths to try in order. */
  paths: readonly KeyPath[];
  /** Makes the cell from the value found. */
  derive?: (value: unknown) => unknown;
}

/**
 * Parses a store key path: dot-separated keys, a key with dots or spaces in
 * double quotes: `loci_cov."Coverage at 20x"`, `"Number of mapped reads"`.
 *
 * @example
 * ```ts
 * import { parseKeyPath } from "./columns.ts";
 * const path = parseKeyPath('loci_cov."Coverage at 20x"');
 * if (path.join("|") !== "loci_cov|Coverage at 20x") throw new Error();
 * ```
 *
 * @param text The path as typed.
 * @returns The keys.
 * @throws {UsageError} On an empty key or an unclosed quote.
 */
export function parseKeyPath(text: string): KeyPath {
  const keys: string[] = [];
  let i = 0;
  while (i <= text.length) {
    let key: string;
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end === -1) throw new UsageError(`column ${text}: unclosed quote`);
      key = text.slice(i + 1, end);
      i = end + 1;
      if (i < text.length && text[i] !== ".") {
        throw new UsageError(`column ${text}: expected . after a quoted key`);
      }
    } else {
      const end = text.indexOf(".", i);
      key = text.slice(i, end === -1 ? text.length : end);
      i = end === -1 ? text.length : end;
    }
    if (key === "") throw new UsageError(`column ${text}: empty key`);
    keys.push(key);
    i++;
  }
  return keys;
}

/**
 * The value at a key path of an object, or `undefined`.
 *
 * @param object A store part.
 * @param path Keys.
 * @returns The value found.
 */
export function valueAt(object: unknown, path: KeyPath): unknown {
  let at: unknown = object;
  for (const key of path) {
    if (at === null || typeof at !== "object" || Array.isArray(at)) {
      return undefined;
    }
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * Resolves `--columns` against the chosen plugins: an alias (`mean_depth`,
 * also without its `_pct`), `<plugin>.<alias>`, or a store key path (with a
 * dot, a space or quotes: `variants.het_snps`, `"Sample ID"`), read from
 * every plugin's store; none: each plugin's default aliases. Names that two
 * plugins share are prefixed with the plugin (`sampleID.mapped_reads`).
 *
 * @param plugins The plugins of the table.
 * @param names The names asked for, or none for the defaults.
 * @returns The columns, in order.
 * @throws {UsageError} For a name that is neither, listing the aliases.
 */
export function resolveColumns(
  plugins: readonly string[],
  names: readonly string[] = [],
): ValueColumn[] {
  const columns: ValueColumn[] = [];
  if (names.length === 0) {
    for (const plugin of plugins) {
      for (const a of ALIASES[plugin] ?? []) {
        if (a.default) columns.push(fromAlias(plugin, a));
      }
    }
    return disambiguate(columns);
  }
  for (const name of names) columns.push(...resolveOne(plugins, name));
  return disambiguate(columns);
}

function resolveOne(plugins: readonly string[], name: string): ValueColumn[] {
  const dot = name.indexOf(".");
  const scope = dot > 0 ? name.slice(0, dot) : "";
  if (plugins.includes(scope)) {
    const rest = name.slice(dot + 1);
    const alias = findAlias(scope, rest);
    if (alias) return [fromAlias(scope, alias)];
    return [{ name, plugin: scope, paths: [parseKeyPath(rest)] }];
  }
  const matches = plugins.flatMap((plugin) => {
    const alias = findAlias(plugin, name);
    return alias ? [fromAlias(plugin, alias)] : [];
  });
  if (matches.length > 0) return matches;
  if (/[."\s]/.test(name)) {
    const path = parseKeyPath(name);
    return plugins.map((plugin) => ({ name, plugin, paths: [path] }));
  }
  const known = plugins.flatMap((p) => (ALIASES[p] ?? []).map((a) => a.name));
  throw new UsageError(
    `unknown column ${name}: ${
      known.length
        ? `the aliases of ${plugins.join(", ")} are ${
          [...new Set(known)].join(", ")
        }`
        : `${plugins.join(", ")} has no built-in aliases`
    }; for any other store key give its path (variants.het_snps, '"Sample ID"'), and see --list-columns`,
  );
}

function findAlias(plugin: string, name: string): Alias | undefined {
  const list = ALIASES[plugin] ?? [];
  return list.find((a) => a.name === name) ??
    list.find((a) => a.name === `${name}_pct`);
}

function fromAlias(plugin: string, alias: Alias): ValueColumn {
  return {
    name: alias.name,
    plugin,
    paths: alias.paths,
    ...(alias.derive ? { derive: alias.derive } : {}),
  };
}

/** Prefixes the plugin to every name two plugins share. */
function disambiguate(columns: ValueColumn[]): ValueColumn[] {
  const plugins = new Map<string, Set<string>>();
  for (const c of columns) {
    plugins.set(c.name, (plugins.get(c.name) ?? new Set()).add(c.plugin));
  }
  const seen = new Set<string>();
  return columns.flatMap((c) => {
    const name = plugins.get(c.name)!.size > 1
      ? `${c.plugin}.${c.name}`
      : c.name;
    if (seen.has(name)) return [];
    seen.add(name);
    return [{ ...c, name }];
  });
}

/**
 * Every leaf key path of a sample's store part, for `--list-columns`:
 * nested objects give dotted paths, keys with dots or spaces quoted.
 *
 * @param object A store part (one barcode's, or a non-barcoded store).
 * @param prefix Keys above it.
 * @returns The paths as they would be typed.
 */
export function leafPaths(object: unknown, prefix = ""): string[] {
  if (object === null || typeof object !== "object" || Array.isArray(object)) {
    return prefix ? [prefix] : [];
  }
  const out: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    const part = /^[A-Za-z0-9_-]+$/.test(key) ? key : `"${key}"`;
    out.push(...leafPaths(value, prefix ? `${prefix}.${part}` : part));
  }
  return out;
}
