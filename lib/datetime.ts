/**
 * Torrent Suite's datetimes. Its serializer writes ISO 8601 with an offset,
 * but pads the MILLIseconds to six digits: `2019-01-17T23:50:39.000550+00:00`
 * is 550 ms past the second (`Date.parse` reads it as 0 ms), and there is no
 * fraction at 0 ms. The toolkit reads them with this rule everywhere and
 * writes ISO 8601 with milliseconds.
 *
 * @module
 */

const TS_DATE =
  /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses a Torrent Suite datetime to epoch milliseconds: a six-digit
 * fraction is milliseconds zero-padded (`.000550` = 550 ms); any other
 * fraction is read as usual. No offset means UTC.
 *
 * @example
 * ```ts
 * import { parseTsDate } from "./datetime.ts";
 * const ms = parseTsDate("2019-01-17T23:50:39.000550+00:00");
 * if (ms !== Date.UTC(2019, 0, 17, 23, 50, 39, 550)) throw new Error();
 * if (parseTsDate("2019-01-17T23:50:39+00:00") % 1000 !== 0) throw new Error();
 * ```
 *
 * @param text The datetime as the server sent it.
 * @returns Epoch milliseconds, or `NaN` when it is not a datetime.
 */
export function parseTsDate(text: string): number {
  const m = TS_DATE.exec(text.trim());
  if (!m) return Date.parse(text);
  const [, base, fraction, zone] = m;
  const whole = Date.parse(`${base!.replace(" ", "T")}${zone ?? "Z"}`);
  if (fraction === undefined) return whole;
  const ms = fraction.length === 6
    ? Number(fraction) // TS: milliseconds padded to six digits
    : Math.floor(Number(`0.${fraction}`) * 1000);
  return whole + ms;
}

/**
 * Formats epoch milliseconds as ISO 8601 with milliseconds (UTC), or `null`.
 *
 * @param ms Epoch milliseconds, or `NaN`/`null`.
 * @returns `2019-01-17T23:50:39.550Z`, or `null` for no time.
 */
export function formatIso(ms: number | null): string | null {
  return ms === null || !Number.isFinite(ms)
    ? null
    : new Date(ms).toISOString();
}
