/**
 * ISO dates (`YYYY-MM-DD`) typed by hand, as the rest of the console shows dates. A browser's
 * date picker would show the reader's locale (`12/05/2026`) instead.
 */

/** Why `text` is not a date the filters can use, in plain words; undefined when it is (or empty). */
export function isoDateProblem(text: string): string | undefined {
  const s = text.trim();
  if (s === "") return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return "use YYYY-MM-DD, for example 2026-01-31";
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1970 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    return `${s} is not a calendar date from 1970 on (YYYY-MM-DD)`;
  }
  return undefined;
}
