/**
 * Progress lines of one backup job: bytes read (of the total, when known), chunks new vs reused,
 * and the rate, at most every `intervalMs`, plus the closing summary.
 */
import type { EngineLog } from "../model/log";
import type { ArchiveStats } from "./snapshot-writer";

export function humanSize(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(2)} ${units[u]}`;
}

export const rateText = (bytes: number, seconds: number) => `${humanSize(seconds > 0 ? bytes / seconds : 0)}/s`;

export function chunkText(s: Pick<ArchiveStats, "chunks" | "reusedChunks">): string {
  return `${s.chunks} chunks (${s.chunks - s.reusedChunks} new, ${s.reusedChunks} reused)`;
}

export class JobProgress {
  private readonly start = performance.now();
  private last = this.start;

  constructor(
    private readonly log: EngineLog,
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly intervalMs: number,
  ) {}

  get seconds(): number {
    return (performance.now() - this.start) / 1000;
  }

  /** Called per chunk; logs when the interval has passed. */
  update(stats: Readonly<ArchiveStats>): void {
    const now = performance.now();
    if (now - this.last < this.intervalMs) return;
    this.last = now;
    const of = this.total ? ` of ${humanSize(this.total)} (${Math.min(100, Math.floor((stats.size * 100) / this.total))}%)` : "";
    this.log.info(`${this.label}: ${humanSize(stats.size)}${of}, ${chunkText(stats)}, ${rateText(stats.size, this.seconds)}`);
  }
}
