import { afterEach, describe, expect, it } from "vitest";
import { computeNextEvent, parseCalendarEvent } from "./calendar-event";

const MIN = 60;
const HOUR = 3600;
const DAY = 86400;
// Epoch 0 is a Thursday; proxmox-time's test.rs builds its times the same way.
const THURSDAY_00_00 = 0;
const THURSDAY_15_00 = 15 * HOUR;
const JUL_31_2020 = 1596153600; // Friday, 2020-07-31 00:00:00 UTC
const DEC_31_2020 = 1609372800; // Thursday, 2020-12-31 00:00:00 UTC

/** proxmox-time evaluates its test vectors in UTC (`compute_next_event(last, true)`). */
function next(event: string, last: number): number | undefined {
  return computeNextEvent(parseCalendarEvent(`${event} UTC`), last);
}

describe("computeNextEvent: proxmox-time's test vectors (test_compute_next_event)", () => {
  const cases: [string, number, number][] = [
    // minute only syntax
    ["0", THURSDAY_00_00, THURSDAY_00_00 + HOUR],
    ["*", THURSDAY_00_00, THURSDAY_00_00 + MIN],
    ["*:0", THURSDAY_00_00, THURSDAY_00_00 + HOUR],
    ["*:*", THURSDAY_00_00, THURSDAY_00_00 + MIN],
    ["*:*:*", THURSDAY_00_00, THURSDAY_00_00 + 1],
    ["*:3:5", THURSDAY_00_00, THURSDAY_00_00 + 3 * MIN + 5],
    ["mon *:*", THURSDAY_00_00, THURSDAY_00_00 + 4 * DAY],
    ["mon 2:*", THURSDAY_00_00, THURSDAY_00_00 + 4 * DAY + 2 * HOUR],
    ["mon 2:50", THURSDAY_00_00, THURSDAY_00_00 + 4 * DAY + 2 * HOUR + 50 * MIN],
    ["tue", THURSDAY_00_00, THURSDAY_00_00 + 5 * DAY],
    ["wed", THURSDAY_00_00, THURSDAY_00_00 + 6 * DAY],
    ["thu", THURSDAY_00_00, THURSDAY_00_00 + 7 * DAY],
    ["fri", THURSDAY_00_00, THURSDAY_00_00 + 1 * DAY],
    ["sat", THURSDAY_00_00, THURSDAY_00_00 + 2 * DAY],
    ["sun", THURSDAY_00_00, THURSDAY_00_00 + 3 * DAY],
    // repeated ranges
    ["4..10/2:0", THURSDAY_00_00, THURSDAY_00_00 + 4 * HOUR],
    ["4..10/2:0", THURSDAY_00_00 + 5 * HOUR, THURSDAY_00_00 + 6 * HOUR],
    ["4..10/2:0", THURSDAY_00_00 + 11 * HOUR, THURSDAY_00_00 + 1 * DAY + 4 * HOUR],
    // several values for one field, in any order
    ["5,10:4,8", THURSDAY_00_00, THURSDAY_00_00 + 5 * HOUR + 4 * MIN],
    ["10,5:8,4", THURSDAY_00_00, THURSDAY_00_00 + 5 * HOUR + 4 * MIN],
    ["6,4..10:23,5/5", THURSDAY_00_00, THURSDAY_00_00 + 4 * HOUR + 5 * MIN],
    ["4..10,6:5/5,23", THURSDAY_00_00, THURSDAY_00_00 + 4 * HOUR + 5 * MIN],
    // month wrapping
    ["sat", JUL_31_2020, JUL_31_2020 + 1 * DAY],
    ["sun", JUL_31_2020, JUL_31_2020 + 2 * DAY],
    ["mon", JUL_31_2020, JUL_31_2020 + 3 * DAY],
    ["tue", JUL_31_2020, JUL_31_2020 + 4 * DAY],
    ["wed", JUL_31_2020, JUL_31_2020 + 5 * DAY],
    ["thu", JUL_31_2020, JUL_31_2020 + 6 * DAY],
    ["fri", JUL_31_2020, JUL_31_2020 + 7 * DAY],
    // year wrapping
    ["fri", DEC_31_2020, DEC_31_2020 + 1 * DAY],
    ["sat", DEC_31_2020, DEC_31_2020 + 2 * DAY],
    ["sun", DEC_31_2020, DEC_31_2020 + 3 * DAY],
    ["mon", DEC_31_2020, DEC_31_2020 + 4 * DAY],
    ["tue", DEC_31_2020, DEC_31_2020 + 5 * DAY],
    ["wed", DEC_31_2020, DEC_31_2020 + 6 * DAY],
    ["thu", DEC_31_2020, DEC_31_2020 + 7 * DAY],
    ["daily", THURSDAY_00_00, THURSDAY_00_00 + DAY],
    ["daily", THURSDAY_00_00 + 1, THURSDAY_00_00 + DAY],
    // dates
    ["2020-07-31", 0, JUL_31_2020],
    ["02-28", 0, (31 + 27) * DAY],
    ["02-29", 0, 2 * 365 * DAY + (31 + 28) * DAY], // 1972-02-29
    ["1965/5-01-01", -1, THURSDAY_00_00],
    ["2020-7..9-2/2", JUL_31_2020, JUL_31_2020 + 2 * DAY],
    ["2020,2021-12-31", JUL_31_2020, DEC_31_2020],
    ["monthly", 0, 31 * DAY],
    ["quarterly", 0, (31 + 28 + 31) * DAY],
    ["semiannually", 0, (31 + 28 + 31 + 30 + 31 + 30) * DAY],
    ["yearly", 0, 365 * DAY],
  ];
  it.each(cases)("%s after %i is %i", (event, last, expected) => {
    expect(next(event, last)).toBe(expected);
  });

  it("steps through repetitions and lists one event at a time", () => {
    let n = next("5/2:0", THURSDAY_00_00)!;
    expect(n).toBe(5 * HOUR);
    for (const h of [7, 9, 11]) expect((n = next("5/2:0", n)!)).toBe(h * HOUR);
    n = THURSDAY_00_00;
    for (let i = 1; i < 100; i++) expect((n = next("*:*", n)!)).toBe(i * MIN);
    n = THURSDAY_00_00;
    for (let i = 1; i < 100; i++) expect((n = next("*:0", n)!)).toBe(i * HOUR);
    n = THURSDAY_15_00;
    for (let i = 1; i < 100; i++) expect((n = next("1:0", n)!)).toBe(i * DAY + HOUR);
  });

  it("never fires for a date that does not exist", () => {
    expect(next("2021-02-29", 0)).toBeUndefined();
    expect(next("02-30", 0)).toBeUndefined();
  });
});

describe("parseCalendarEvent", () => {
  it.each([
    // proxmox-time test_calendar_event_weekday
    "mon,wed..fri", "fri..mon", "mon", "MON", "monDay", "tue", "Tuesday", "wed", "wednesday", "thu", "thursday",
    "fri", "friday", "sat", "saturday", "sun", "sunday", "mon..fri", "mon,tue,fri", "mon,tue..wednesday,fri..sat",
    // the admin guide's examples
    "mon,tue,wed,thu,fri", "sat,sun", "mon..wed,sat", "12:05", "*:00/5", "mon..wed *:30/10", "mon..fri 8..17,22:0/15",
    "fri 12..13:5/20", "12,14,16,18,20,22:5", "*/2:0", "0/2:0", "weekly", "hourly", "minutely", "annually", "semi-annually",
    "sat 02:30", "*:0/15", "mon..fri 22:00", "daily UTC", "2024-*-1 3:00",
  ])("accepts %s", (text) => {
    expect(() => parseCalendarEvent(text)).not.toThrow();
  });

  it("a wrapping weekday range covers the end and the start of the week", () => {
    // fri..mon from Thursday 00:00: Friday is next; from Monday, Friday again skips tue..thu.
    expect(next("fri..mon", THURSDAY_00_00)).toBe(DAY);
    expect(next("fri..mon", DAY)).toBe(2 * DAY); // Friday -> Saturday
    expect(next("fri..mon", 4 * DAY)).toBe(8 * DAY); // Monday -> the next Friday
  });

  it.each([
    ["", 1, "a weekday, a date or a time"],
    ["mon 12:61", 8, "a minute below 60, not 61"],
    ["funday", 1, "a weekday"],
    ["12:60", 4, "a minute below 60, not 60"],
    ["mon..", 6, "a weekday"],
    ["5..3:00", 5, "a range whose start is not bigger than its end (5..3)"],
    ["daily at noon", 1, "a weekday"],
    ["*:0/15 xyz", 7, "the end of the event"],
  ])("refuses %j at position %i, saying what was expected", (text, pos, expected) => {
    expect(() => parseCalendarEvent(text)).toThrow(
      expect.objectContaining({ code: "BAD_REQUEST", message: expect.stringContaining(`at position ${pos}`) }),
    );
    expect(() => parseCalendarEvent(text)).toThrow(expect.objectContaining({ message: expect.stringContaining(`expected ${expected}`) }));
  });
});

describe("time zones: local unless the event ends in UTC, as PBS", () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it("evaluates in the process's local time zone, and in UTC when told", () => {
    process.env.TZ = "Europe/Berlin"; // UTC+1 in winter
    const jan1 = Date.UTC(2026, 0, 1) / 1000;
    expect(computeNextEvent(parseCalendarEvent("daily"), jan1)).toBe(jan1 + DAY - HOUR);
    expect(computeNextEvent(parseCalendarEvent("daily UTC"), jan1)).toBe(jan1 + DAY);
    expect(computeNextEvent(parseCalendarEvent("sat 02:30"), jan1)).toBe(Date.UTC(2026, 0, 3, 1, 30) / 1000);
  });

  it("keeps the wall-clock time across a daylight saving change", () => {
    process.env.TZ = "Europe/Berlin"; // clocks go forward on 2026-03-29
    const before = Date.UTC(2026, 2, 28, 12) / 1000;
    const first = computeNextEvent(parseCalendarEvent("22:00"), before)!;
    const second = computeNextEvent(parseCalendarEvent("22:00"), first)!;
    expect(first).toBe(Date.UTC(2026, 2, 28, 21) / 1000); // 22:00 CET
    expect(second).toBe(Date.UTC(2026, 2, 29, 20) / 1000); // 22:00 CEST, 23 h later
  });
});
