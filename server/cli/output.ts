/**
 * CLI output: `--output-format json` prints exactly one JSON document on stdout; text prints
 * aligned tables for people. Errors never go to stdout.
 */
export type OutputFormat = "text" | "json";

/** Every error the CLI prints starts with this one prefix, whatever its source. */
export const ERROR_PREFIX = "coffer: ";

export function printError(message: string): void {
  process.stderr.write(`${ERROR_PREFIX}${message}\n`);
}

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: "left" | "right";
}

export function printJson(doc: unknown): void {
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => (columns[i]!.align === "right" ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

export function printTable<T>(rows: T[], columns: Column<T>[], empty = "(none)"): void {
  process.stdout.write(rows.length === 0 ? `${empty}\n` : `${renderTable(rows, columns)}\n`);
}

/** Output in the chosen format: the JSON document, or the text a person reads. */
export function emit(format: OutputFormat, doc: unknown, text: () => void): void {
  if (format === "json") printJson(doc);
  else text();
}

export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}

/**
 * Gathers printed lines and writes them in one go on `flush` (or when 64 KiB have gathered): a
 * write to a pipe wakes its reader, so a followed log printed line by line would cost a wake-up
 * per line on the machine the task runs on.
 */
export class LineBatcher {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly write: (text: string) => void) {}

  add(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= 64 * 1024) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const text = this.parts.join("");
    this.parts = [];
    this.size = 0;
    this.write(text);
  }
}
