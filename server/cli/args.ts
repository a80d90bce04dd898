/**
 * A small, strict argument parser for the `coffer` CLI (DESIGN.md section 9): unknown options
 * are errors that list what is allowed; boolean options accept the bare flag, `--flag=false`
 * and `--flag true|false`.
 */
import { CofferError } from "../datastore/model/errors";

export type OptionType = "string" | "boolean" | "integer";

export interface OptionSpec {
  type: OptionType;
  description?: string;
  /** For integers: inclusive bounds. */
  min?: number;
  max?: number;
  /** For strings: the allowed values. */
  choices?: readonly string[];
}

export interface CommandSpec {
  /**
   * Positional argument names, in order; a trailing `?` marks an optional one, a trailing `...`
   * (last one only) takes one or more remaining arguments (see `Parsed.rest`).
   */
  positionals: string[];
  options: Record<string, OptionSpec>;
}

export interface Parsed {
  positionals: Record<string, string | undefined>;
  /** The arguments a trailing `name...` positional took (its first one is also in positionals). */
  rest: string[];
  options: Record<string, string | boolean | number | undefined>;
}

export class UsageError extends CofferError {
  constructor(message: string) {
    super("BAD_REQUEST", message);
    this.name = "UsageError";
  }
}

const OUTPUT_FORMAT: OptionSpec = { type: "string", choices: ["text", "json"], description: "text or json" };

export function parseArgs(argv: string[], spec: CommandSpec): Parsed {
  const options: Record<string, OptionSpec> = { "output-format": OUTPUT_FORMAT, ...spec.options };
  const out: Parsed = { positionals: {}, options: {}, rest: [] };
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "--") {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const opt = options[name];
    if (!opt) {
      const allowed = Object.keys(options).map((o) => `--${o}`).join(", ");
      throw new UsageError(`unknown option '--${name}'; allowed options: ${allowed}`);
    }
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (opt.type === "boolean") {
      if (value === undefined && (argv[i + 1] === "true" || argv[i + 1] === "false")) value = argv[++i];
      if (value === undefined || value === "true" || value === "1") out.options[name] = true;
      else if (value === "false" || value === "0") out.options[name] = false;
      else throw new UsageError(`option --${name} takes true or false, not '${value}'`);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`option --${name} needs a value`);
      value = argv[++i]!;
    }
    if (opt.type === "integer") {
      if (!/^-?[0-9]+$/.test(value)) throw new UsageError(`option --${name} takes a whole number, not '${value}'`);
      const n = Number(value);
      if ((opt.min !== undefined && n < opt.min) || (opt.max !== undefined && n > opt.max)) {
        throw new UsageError(`option --${name} must be between ${opt.min ?? "-inf"} and ${opt.max ?? "inf"}, not ${n}`);
      }
      out.options[name] = n;
    } else {
      if (opt.choices && !opt.choices.includes(value)) {
        throw new UsageError(`option --${name} must be one of ${opt.choices.join(", ")}, not '${value}'`);
      }
      out.options[name] = value;
    }
  }
  const variadic = spec.positionals.at(-1)?.endsWith("...") ?? false;
  const required = spec.positionals.filter((p) => !p.endsWith("?"));
  if (positionals.length < required.length) {
    const missing = required.slice(positionals.length).map((p) => `<${p.replace(/\.\.\.$/, "")}>`).join(" ");
    throw new UsageError(`missing argument ${missing}`);
  }
  if (!variadic && positionals.length > spec.positionals.length) {
    throw new UsageError(`unexpected argument '${positionals[spec.positionals.length]}'`);
  }
  spec.positionals.forEach((p, i) => {
    out.positionals[p.replace(/(\?|\.\.\.)$/, "")] = positionals[i];
  });
  if (variadic) out.rest = positionals.slice(spec.positionals.length - 1);
  return out;
}

export function usageLine(command: string, spec: CommandSpec): string {
  const pos = spec.positionals
    .map((p) => (p.endsWith("?") ? `[<${p.slice(0, -1)}>]` : p.endsWith("...") ? `<${p.slice(0, -3)}>...` : `<${p}>`))
    .join(" ");
  const opts = Object.entries(spec.options)
    .map(([n, o]) => (o.type === "boolean" ? `[--${n}]` : `[--${n} ${o.choices ? o.choices.join("|") : n.toUpperCase()}]`))
    .join(" ");
  return [`coffer ${command}`, pos, opts, "[--output-format text|json]"].filter(Boolean).join(" ");
}
