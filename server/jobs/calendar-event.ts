/**
 * PBS calendar events (admin guide, appendix "Calendar Events"; proxmox-time
 * `calendar_event.rs`): the systemd.time-like schedules of GC, prune and verify jobs.
 *
 *   [WEEKDAY[..WEEKDAY][,...]] [[YEAR-]MONTH-DAY] [[HOUR:]MINUTE[:SECOND]] [UTC]
 *
 * or one of `minutely`, `hourly`, `daily`, `weekly`, `monthly`, `yearly` (`annually`),
 * `quarterly`, `semiannually` (`semi-annually`). Every number field takes `*`, a value, a range
 * `a..b`, a repetition `a/r`, `a..b/r` or `* /r` (without the space), and lists of those separated by
 * `,`. Without `UTC` the event is evaluated in the server's local time zone, as PBS does.
 *
 * No maintained JavaScript library implements this grammar (cron parsers and systemd ports
 * differ in the details PBS tests: `*` for a minute alone, `5/2` without an end, wrapping
 * weekday ranges), so this is a port of proxmox-time's parser and its `compute_next_event`,
 * tested with PBS's own test vectors (calendar-event.test.ts).
 */
import { CofferError } from "../datastore/model/errors";

type Value = { kind: "single"; v: number } | { kind: "range"; start: number; end: number } | { kind: "repeat"; start: number; step: number; end?: number };

export interface CalendarEvent {
  /** The text it was parsed from. */
  readonly text: string;
  readonly utc: boolean;
  /** Bit 0 = Monday ... bit 6 = Sunday; 0 = every day. */
  readonly days: number;
  /** An empty list matches every value. */
  readonly second: Value[];
  readonly minute: Value[];
  readonly hour: Value[];
  readonly day: Value[];
  readonly month: Value[];
  readonly year: Value[];
}

export const CALENDAR_EVENT_SYNTAX =
  "[WEEKDAY[..WEEKDAY][,...]] [[YEAR-]MONTH-DAY] [[HOUR:]MINUTE[:SECOND]] [UTC], or one of minutely, hourly, daily, weekly, monthly, yearly, quarterly, semiannually (examples: 'daily', 'sat 02:30', '*:0/15', 'mon..fri 22:00')";

const WEEKDAYS: Record<string, number> = {
  mon: 0, monday: 0, tue: 1, tuesday: 1, wed: 2, wednesday: 2, thu: 3, thursday: 3,
  fri: 4, friday: 4, sat: 5, saturday: 5, sun: 6, sunday: 6,
};

const ZERO: Value[] = [{ kind: "single", v: 0 }];
const s = (...vs: number[]): Value[] => vs.map((v) => ({ kind: "single", v }));

function shorthand(word: string): Omit<CalendarEvent, "text" | "utc"> | undefined {
  const base = { days: 0, second: ZERO, minute: ZERO, hour: ZERO, day: [] as Value[], month: [] as Value[], year: [] as Value[] };
  switch (word) {
    case "minutely": return { ...base, minute: [], hour: [] };
    case "hourly": return { ...base, hour: [] };
    case "daily": return base;
    case "weekly": return { ...base, days: 1 };
    case "monthly": return { ...base, day: s(1) };
    case "yearly": case "annually": return { ...base, day: s(1), month: s(1) };
    case "quarterly": return { ...base, day: s(1), month: s(1, 4, 7, 10) };
    case "semiannually": case "semi-annually": return { ...base, day: s(1), month: s(1, 7) };
    default: return undefined;
  }
}

/** A failed parse step: where, and what was expected there. */
class Fail {
  constructor(readonly pos: number, readonly expected: string) {}
}

/**
 * A backtracking parser over the text, like proxmox-time's nom parser. It remembers the
 * failure that got furthest into the text, so the error names the position where the event
 * stopped making sense rather than where the last alternative was tried.
 */
class Parser {
  pos = 0;
  furthest = new Fail(-1, "");
  constructor(readonly text: string) {}

  /** An optional continuation (`,`, `..`, `:`) that is not there: not worth reporting. */
  miss(): never {
    throw new Fail(this.pos, "");
  }

  fail(expected: string, pos = this.pos): never {
    const f = new Fail(pos, expected);
    // The first failure at the furthest position is the most specific one.
    if (f.pos > this.furthest.pos) this.furthest = f;
    throw f;
  }

  /** Runs `fn`; on failure restores the position and returns undefined (nom `opt`). */
  opt<T>(fn: () => T): T | undefined {
    const at = this.pos;
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof Fail)) throw err;
      this.pos = at;
      return undefined;
    }
  }

  tag(t: string): boolean {
    if (!this.text.startsWith(t, this.pos)) return false;
    this.pos += t.length;
    return true;
  }

  spaces(): void {
    while (this.text[this.pos] === " ") this.pos++;
  }

  number(max: number, what: string): number {
    const m = /^[0-9]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`a number (${what}, 0 to ${max - 1})`);
    const v = Number(m[0]);
    if (v >= max) this.fail(`a ${what} below ${max}, not ${m[0]}`);
    this.pos += m[0].length;
    return v;
  }

  /** `v`, `a..b`, `a/r`, `a..b/r`. */
  value(max: number, what: string): Value {
    const start = this.number(max, what);
    const end = this.opt(() => {
      if (!this.tag("..")) this.miss();
      return this.number(max, what);
    });
    if (end !== undefined) {
      if (start > end) this.fail(`a range whose start is not bigger than its end (${start}..${end})`);
      if (this.tag("/")) return { kind: "repeat", start, step: this.number(max, `${what} repetition`), end };
      return { kind: "range", start, end };
    }
    if (this.tag("/")) return { kind: "repeat", start, step: this.number(max, `${what} repetition`) };
    return { kind: "single", v: start };
  }

  /** `*`, `* /r` (no space) or a `,`-separated list of values. */
  list(start: number, max: number, what: string): Value[] {
    if (this.tag("*")) {
      const afterStar = this.pos;
      const rep = this.opt(() => {
        if (!this.tag("/")) this.miss();
        return this.number(max, `${what} repetition`);
      });
      if (rep !== undefined && rep > 0) return [{ kind: "repeat", start, step: rep }];
      this.pos = afterStar; // `*/0` leaves `/0` unparsed, as PBS does
      return [];
    }
    const out = [this.value(max, what)];
    for (;;) {
      const more = this.opt(() => {
        if (!this.tag(",")) this.miss();
        return this.value(max, what);
      });
      if (more === undefined) return out;
      out.push(more);
    }
  }

  weekday(): number {
    const m = /^[A-Za-z]+/.exec(this.text.slice(this.pos));
    const d = m ? WEEKDAYS[m[0].toLowerCase()] : undefined;
    if (d === undefined) this.fail("a weekday (mon, tue, wed, thu, fri, sat, sun or the full name)");
    this.pos += m![0].length;
    return d;
  }

  /** `mon`, `mon..fri`; a range may wrap around the week (`fri..mon`). */
  weekdayRange(): number {
    const start = this.weekday();
    const end = this.opt(() => {
      if (!this.tag("..")) this.miss();
      return this.weekday();
    });
    if (end === undefined) return 1 << start;
    let bits = 0;
    for (let d = start; ; d = (d + 1) % 7) {
      bits |= 1 << d;
      if (d === end) return bits;
    }
  }
}

/**
 * Parses a calendar event. Throws BAD_REQUEST naming the position (1-based) and what is
 * allowed there, e.g. `invalid calendar event 'mon 25:00' at position 5 ('25:00'): expected an
 * hour below 24, not 25`.
 */
export function parseCalendarEvent(text: string): CalendarEvent {
  let body = text;
  let utc = false;
  if (body.endsWith("UTC")) {
    utc = true;
    body = body.slice(0, -3).replace(/ +$/, "");
  }
  const short = /^[A-Za-z]/.test(body) ? shorthand(body) : undefined;
  if (short) return { text, utc, ...short };

  const p = new Parser(body);
  try {
    let days = 0;
    let hasDays = false;
    if (/^[A-Za-z]/.test(body)) {
      days = p.weekdayRange();
      for (;;) {
        const more = p.opt(() => {
          if (!p.tag(",")) p.miss();
          return p.weekdayRange();
        });
        if (more === undefined) break;
        days |= more;
      }
      hasDays = true;
      p.spaces();
    }
    const date =
      p.opt(() => {
        const year = p.list(0, 2200, "year");
        if (!p.tag("-")) p.miss();
        const month = p.list(1, 13, "month");
        if (!p.tag("-")) p.miss();
        return { year, month, day: p.list(1, 32, "day") };
      }) ??
      p.opt(() => {
        const month = p.list(1, 13, "month");
        if (!p.tag("-")) p.miss();
        return { year: [] as Value[], month, day: p.list(1, 32, "day") };
      });
    if (date) p.spaces();
    const time = p.opt(() => {
      const hour = p.opt(() => {
        const h = p.list(0, 24, "hour");
        if (!p.tag(":")) p.miss();
        return h;
      });
      const minute = p.list(0, 60, "minute");
      const second = p.opt(() => {
        if (!p.tag(":")) p.miss();
        return p.list(0, 60, "second");
      });
      return { hour: hour ?? [], minute, second: second ?? ZERO };
    });
    if (!hasDays && !date && !time) p.fail("a weekday, a date or a time", 0);
    if (p.pos < body.length) p.fail("the end of the event");
    return {
      text,
      utc,
      days: days === 0x7f ? 0 : days,
      year: date?.year ?? [],
      month: date?.month ?? [],
      day: date?.day ?? [],
      hour: time?.hour ?? ZERO,
      minute: time?.minute ?? ZERO,
      second: time?.second ?? ZERO,
    };
  } catch (err) {
    if (!(err instanceof Fail)) throw err;
    // Where parsing got furthest says best what is wrong; failing at the very start, the
    // whole grammar is what was expected.
    const f = p.furthest.pos > err.pos || (p.furthest.pos === err.pos && err.pos > 0) ? p.furthest : err;
    const rest = body.slice(f.pos);
    throw new CofferError(
      "BAD_REQUEST",
      `invalid calendar event '${text}' at position ${f.pos + 1}${rest ? ` ('${rest}')` : " (its end)"}: expected ${f.expected}; a calendar event is ${CALENDAR_EVENT_SYNTAX}`,
    );
  }
}

function contains(list: Value[], v: number): boolean {
  return list.some((x) => {
    if (x.kind === "single") return x.v === v;
    if (x.kind === "range") return v >= x.start && v <= x.end;
    if (v < x.start) return false;
    if (x.step === 0) return v === x.start;
    return (v - x.start) % x.step === 0 && (x.end === undefined || v <= x.end);
  });
}

/** The smallest value of `list` above `v` (proxmox-time DateTimeValue::find_next). */
function findNext(list: Value[], v: number): number | undefined {
  let next: number | undefined;
  const offer = (n: number) => {
    if (next === undefined || n < next) next = n;
  };
  for (const x of list) {
    if (x.kind === "single") {
      if (x.v > v) offer(x.v);
    } else if (x.kind === "range") {
      if (v < x.start) offer(x.start);
      else if (v + 1 <= x.end) offer(v + 1);
    } else if (v < x.start) {
      offer(x.start);
    } else if (x.step > 0) {
      const n = x.start + Math.floor((v - x.start + x.step) / x.step) * x.step;
      if (x.end === undefined || n <= x.end) offer(n);
    }
  }
  return next;
}

/**
 * Broken-down time that normalises like libc's mktime/timegm (proxmox-time TmEditor): setting
 * a field out of range carries into the next one. Local time uses the process's time zone.
 */
class Tm {
  year = 0; mon = 0; mday = 0; hour = 0; min = 0; sec = 0; wday = 0;
  constructor(private readonly utc: boolean, epoch: number) {
    this.load(new Date(epoch * 1000));
  }
  private load(d: Date) {
    if (this.utc) {
      [this.year, this.mon, this.mday, this.hour, this.min, this.sec, this.wday] =
        [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCDay()];
    } else {
      [this.year, this.mon, this.mday, this.hour, this.min, this.sec, this.wday] =
        [d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getDay()];
    }
  }
  epoch(): number {
    const ms = this.utc
      ? Date.UTC(this.year, this.mon, this.mday, this.hour, this.min, this.sec)
      : new Date(this.year, this.mon, this.mday, this.hour, this.min, this.sec).getTime();
    return Math.floor(ms / 1000);
  }
  private normalize() {
    this.load(new Date(this.epoch() * 1000));
  }
  addYears(n: number) {
    if (n === 0) return;
    Object.assign(this, { mon: 0, mday: 1, hour: 0, min: 0, sec: 0, year: this.year + n });
    this.normalize();
  }
  addMonths(n: number) {
    if (n === 0) return;
    Object.assign(this, { mday: 1, hour: 0, min: 0, sec: 0, mon: this.mon + n });
    this.normalize();
  }
  addDays(n: number) {
    if (n === 0) return;
    Object.assign(this, { hour: 0, min: 0, sec: 0, mday: this.mday + n });
    this.normalize();
  }
  setTime(h: number, m: number, s: number) {
    Object.assign(this, { hour: h, min: m, sec: s });
    this.normalize();
  }
  setMinSec(m: number, s: number) {
    Object.assign(this, { min: m, sec: s });
    this.normalize();
  }
  setSec(s: number) {
    this.sec = s;
    this.normalize();
  }
  /** Monday = 0 ... Sunday = 6. */
  dayNum() {
    return (this.wday + 6) % 7;
  }
}

/**
 * The first time (epoch seconds) after `last` at which the event fires, or undefined when it
 * never does again (`2021-02-29`). proxmox-time `compute_next_event`, step for step: it gives
 * up after 1000 adjustments, as PBS does.
 */
export function computeNextEvent(event: CalendarEvent, last: number): number | undefined {
  const t = new Tm(event.utc, last + 1);
  const allDays = event.days === 0 || event.days === 0x7f;
  for (let count = 0; count <= 1000; count++) {
    if (event.year.length && !contains(event.year, t.year)) {
      const n = findNext(event.year, t.year);
      if (n === undefined) return undefined;
      t.addYears(n - t.year);
      continue;
    }
    if (event.month.length && !contains(event.month, t.mon + 1)) {
      const n = findNext(event.month, t.mon + 1);
      if (n !== undefined) t.addMonths(n - (t.mon + 1));
      else t.addYears(1);
      continue;
    }
    if (event.day.length && !contains(event.day, t.mday)) {
      const n = findNext(event.day, t.mday);
      if (n !== undefined) t.addDays(n - t.mday);
      else t.addMonths(1);
      continue;
    }
    if (!allDays) {
      const d = t.dayNum();
      if (!(event.days & (1 << d))) {
        let n = d + 1;
        while (n < 7 && !(event.days & (1 << n))) n++;
        t.addDays(n < 7 ? n - d : 7 - d);
        continue;
      }
    }
    if (event.hour.length && !contains(event.hour, t.hour)) {
      const n = findNext(event.hour, t.hour);
      if (n !== undefined) t.setTime(n, 0, 0);
      else t.addDays(1);
      continue;
    }
    if (event.minute.length && !contains(event.minute, t.min)) {
      const n = findNext(event.minute, t.min);
      if (n !== undefined) t.setMinSec(n, 0);
      else t.setTime(t.hour + 1, 0, 0);
      continue;
    }
    if (event.second.length && !contains(event.second, t.sec)) {
      const n = findNext(event.second, t.sec);
      if (n !== undefined) t.setSec(n);
      else t.setMinSec(t.min + 1, 0);
      continue;
    }
    return t.epoch();
  }
  return undefined;
}
