/** Shared bits of the hand-written SVG charts: nice axis ticks and short time labels. Pure. */

/** About `count` round tick values from 0 to at least `max` (1, 2 or 5 times a power of 1024 or 10). */
export function byteTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0];
  const raw = max / count;
  const unit = 1024 ** Math.max(0, Math.floor(Math.log(raw) / Math.log(1024)));
  const scaled = raw / unit;
  const mag = 10 ** Math.floor(Math.log10(scaled));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= scaled) ?? 10) * mag * unit;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(v);
  return ticks;
}

/** `11-20 14:05` in local time: short enough for an axis. */
export function shortTime(epochSeconds: number, withDate: boolean): string {
  const d = new Date(epochSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  const time = `${p(d.getHours())}:${p(d.getMinutes())}`;
  return withDate ? `${p(d.getMonth() + 1)}-${p(d.getDate())} ${time}` : time;
}
