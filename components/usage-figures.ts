/**
 * Disk usage as `df` reports it. A file system keeps blocks reserved for root, so
 * used + available is less than the size: `df` computes Use% as used / (used + available),
 * rounded up, and so do we, so a full disk shows 100% when nothing is left to write.
 */
import { formatSize } from "./format";

export interface DiskFigures {
  total: number;
  used: number;
  avail: number;
}

export interface UsageFigures {
  /** 0 to 100, for the bar's width: used / (used + available). */
  fraction: number;
  /** `df`'s Use%: the fraction in whole percent, rounded up. */
  percent: number;
  text: string;
}

export function usageFigures({ total, used, avail }: DiskFigures): UsageFigures {
  const usable = used + Math.max(0, avail);
  const fraction = usable > 0 ? Math.min(100, (used / usable) * 100) : 0;
  const percent = Math.min(100, Math.ceil(fraction));
  return {
    fraction,
    percent,
    text: `${formatSize(used)} used, ${formatSize(avail)} available, ${formatSize(total)} total (${percent}%)`,
  };
}
