/**
 * Where engine operations report progress and warnings. A worker task passes its task log; the
 * API and tests pass `nullLog` or a collecting log. Warnings count towards `TASK WARNINGS: n`.
 */
export interface EngineLog {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export const nullLog: EngineLog = {
  info() {},
  warn() {},
  debug() {},
};

/** A log that keeps its lines, for tests and for API calls that return warnings. */
export function collectingLog(): EngineLog & { lines: { level: "info" | "warn" | "debug"; message: string }[] } {
  const lines: { level: "info" | "warn" | "debug"; message: string }[] = [];
  return {
    lines,
    info: (message) => lines.push({ level: "info", message }),
    warn: (message) => lines.push({ level: "warn", message }),
    debug: (message) => lines.push({ level: "debug", message }),
  };
}
