/**
 * The Jobs view's form state and its conversion to the API's job options (PBS names). Pure, so
 * it is tested without a browser.
 */
export type EditableJobType = "prune" | "verify";

export const KEEP_FIELDS = [
  ["keep-last", "Keep last"],
  ["keep-hourly", "Keep hourly"],
  ["keep-daily", "Keep daily"],
  ["keep-weekly", "Keep weekly"],
  ["keep-monthly", "Keep monthly"],
  ["keep-yearly", "Keep yearly"],
] as const;

export interface JobForm {
  id: string;
  schedule: string;
  ns: string;
  /** "" = all levels. */
  maxDepth: string;
  comment: string;
  disable: boolean;
  keep: Record<string, string>;
  ignoreVerified: boolean;
  outdatedAfter: string;
}

export const emptyForm = (type: EditableJobType): JobForm => ({
  id: "",
  schedule: type === "prune" ? "daily" : "sat 02:30",
  ns: "",
  maxDepth: "",
  comment: "",
  disable: false,
  keep: {},
  ignoreVerified: true,
  outdatedAfter: "",
});

/** A whole number ≥ min, or undefined when empty; NaN when it is not one. */
export function wholeNumber(s: string, min: number): number | undefined {
  const t = s.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isInteger(n) && n >= min ? n : Number.NaN;
}

/** Problems the form can see itself, by field; the server checks everything again. */
export function formProblems(type: EditableJobType, f: JobForm): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.schedule.trim() === "" && type === "prune") out.schedule = "A prune job needs a schedule, e.g. daily or sat 02:30.";
  for (const [k, label] of KEEP_FIELDS) {
    if (type === "prune" && Number.isNaN(wholeNumber(f.keep[k] ?? "", 1))) out[k] = `${label}: enter a whole number of at least 1, or leave it empty.`;
  }
  if (type === "verify" && Number.isNaN(wholeNumber(f.outdatedAfter, 0))) out.outdatedAfter = "Enter a whole number of days, or leave it empty.";
  return out;
}

/**
 * The options to set, and (editing) the options to remove because their field was emptied.
 */
export function jobOptions(type: EditableJobType, f: JobForm): { set: Record<string, unknown>; remove: string[] } {
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  const put = (key: string, v: unknown) => (v === undefined || v === "" ? remove.push(key) : (set[key] = v));
  put("schedule", f.schedule.trim());
  put("ns", f.ns.trim());
  put("max-depth", f.maxDepth === "" ? undefined : Number(f.maxDepth));
  put("comment", f.comment.trim());
  put("disable", f.disable ? true : undefined);
  if (type === "prune") for (const [k] of KEEP_FIELDS) put(k, wholeNumber(f.keep[k] ?? "", 1));
  else {
    put("ignore-verified", f.ignoreVerified ? undefined : false);
    put("outdated-after", wholeNumber(f.outdatedAfter, 0));
  }
  return { set, remove };
}

/** The form filled from an existing job. */
export function formOf(job: Record<string, unknown>): JobForm {
  const s = (k: string) => (job[k] === undefined ? "" : String(job[k]));
  return {
    id: s("id"),
    schedule: s("schedule"),
    ns: s("ns"),
    maxDepth: s("max-depth"),
    comment: s("comment"),
    disable: job.disable === true,
    keep: Object.fromEntries(KEEP_FIELDS.map(([k]) => [k, s(k)])),
    ignoreVerified: job["ignore-verified"] !== false,
    outdatedAfter: s("outdated-after"),
  };
}
