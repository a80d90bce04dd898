/**
 * A small, strict argument parser for the `coffer` CLI (DESIGN.md section 9): unknown options
 * are errors that list what is allowed; boolean options accept the bare flag, `--flag=false`
 * and `--flag true|false`. The same spec renders the usage line and `--help`, so what help
 * promises (required or optional, ranges, choices) is what the parser enforces.
 */
import { CofferError } from "../datastore/model/errors";

export type OptionType = "string" | "boolean" | "integer";

export interface OptionSpec {
  type: OptionType;
  /** One line for `--help`; ranges and choices are added from the spec. */
  description?: string;
  /** What the value is called in help (`N`, `NS`, `DIR`); integers default to `N`. */
  metavar?: string;
  /** Refused when missing; shown without brackets in the usage line. */
  required?: boolean;
  /** For booleans whose default is true: help shows `true|false`, since the bare flag changes nothing. */
  defaultTrue?: boolean;
  /** For integers: inclusive bounds. */
  min?: number;
  max?: number;
  /** For strings: the allowed values. */
  choices?: readonly string[];
}

export interface PositionalSpec {
  name: string;
  /** How help shows it (`<type>/<id>`); default `<name>`. */
  metavar?: string;
  description?: string;
  optional?: boolean;
  /** Last one only: takes one or more remaining arguments (see `Parsed.rest`). */
  variadic?: boolean;
}

export interface CommandSpec {
  /** In order; a plain string is a required positional of that name. */
  positionals: (string | PositionalSpec)[];
  options: Record<string, OptionSpec>;
}

export interface Parsed {
  positionals: Record<string, string | undefined>;
  /** The arguments a variadic positional took (its first one is also in positionals). */
  rest: string[];
  options: Record<string, string | boolean | number | undefined>;
}

export class UsageError extends CofferError {
  constructor(message: string) {
    super("BAD_REQUEST", message);
    this.name = "UsageError";
  }
}

const OUTPUT_FORMAT: OptionSpec = {
  type: "string",
  choices: ["text", "json"],
  metavar: "text|json",
  description: "text for people (default), or one JSON document on stdout",
};

export const positional = (p: string | PositionalSpec): PositionalSpec => (typeof p === "string" ? { name: p } : p);

const posMetavar = (p: PositionalSpec) => p.metavar ?? `<${p.name}>`;

const optMetavar = (o: OptionSpec, name: string) =>
  o.metavar ?? (o.choices ? o.choices.join("|") : o.type === "integer" ? "N" : name.toUpperCase());

/** The allowed range of an integer option, as help and errors say it. */
function rangeText(o: OptionSpec): string | undefined {
  if (o.type !== "integer") return undefined;
  if (o.min !== undefined && o.max !== undefined) return `${o.min} to ${o.max}`;
  if (o.min !== undefined) return `at least ${o.min}`;
  if (o.max !== undefined) return `at most ${o.max}`;
  return undefined;
}

const allOptions = (spec: CommandSpec): Record<string, OptionSpec> => ({ ...spec.options, "output-format": OUTPUT_FORMAT });

export function parseArgs(argv: string[], spec: CommandSpec): Parsed {
  const options = allOptions(spec);
  const out: Parsed = { positionals: {}, options: {}, rest: [] };
  const given: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      given.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--")) {
      given.push(arg);
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
      if (i + 1 >= argv.length) throw new UsageError(`option --${name} needs a value: --${name} ${optMetavar(opt, name)}`);
      value = argv[++i]!;
    }
    if (opt.type === "integer") {
      const range = rangeText(opt);
      const allowed = range ? ` from ${range}` : "";
      if (!/^-?[0-9]+$/.test(value)) throw new UsageError(`option --${name} takes a whole number${allowed}, not '${value}'`);
      const n = Number(value);
      if ((opt.min !== undefined && n < opt.min) || (opt.max !== undefined && n > opt.max) || !Number.isSafeInteger(n)) {
        throw new UsageError(`option --${name} takes a whole number${allowed}, not ${value}`);
      }
      out.options[name] = n;
    } else {
      if (opt.choices && !opt.choices.includes(value)) {
        throw new UsageError(`option --${name} takes ${opt.choices.join(" or ")}, not '${value}'`);
      }
      out.options[name] = value;
    }
  }
  for (const [name, opt] of Object.entries(options)) {
    if (opt.required && out.options[name] === undefined) {
      throw new UsageError(`missing option --${name} ${optMetavar(opt, name)}${opt.description ? ` (${opt.description})` : ""}`);
    }
  }
  const specs = spec.positionals.map(positional);
  const variadic = specs.at(-1)?.variadic ?? false;
  const required = specs.filter((p) => !p.optional);
  if (given.length < required.length) {
    const missing = required.slice(given.length);
    const what = missing.length === 1 && missing[0]!.description ? ` (${missing[0]!.description})` : "";
    throw new UsageError(`missing ${missing.length === 1 ? "argument" : "arguments"} ${missing.map(posMetavar).join(" ")}${what}`);
  }
  if (!variadic && given.length > specs.length) {
    throw new UsageError(`unexpected argument '${given[specs.length]}'`);
  }
  specs.forEach((p, i) => {
    out.positionals[p.name] = given[i];
  });
  if (variadic) out.rest = given.slice(specs.length - 1);
  return out;
}

/** `coffer group move <store> <type>/<id> [--ns NS] --target-ns NS [--merge-group true|false] [--dry-run]` */
export function usageLine(command: string, spec: CommandSpec): string {
  const pos = spec.positionals.map(positional).map((p) => {
    const m = `${posMetavar(p)}${p.variadic ? "..." : ""}`;
    return p.optional ? `[${m}]` : m;
  });
  const opts = Object.entries(spec.options).map(([n, o]) => {
    const flag =
      o.type === "boolean" ? (o.defaultTrue ? `--${n} true|false` : `--${n}`) : `--${n} ${optMetavar(o, n)}`;
    return o.required ? flag : `[${flag}]`;
  });
  return [`coffer ${command}`, ...pos, ...opts].join(" ");
}

/** The lines of `--help` after the usage line: arguments and options, one line each. */
export function describeSpec(spec: CommandSpec): string[] {
  const rows: [string, string, string][] = [];
  for (const p of spec.positionals.map(positional)) {
    rows.push(["Arguments:", `${posMetavar(p)}${p.variadic ? "..." : ""}`, p.description ?? ""]);
  }
  for (const [n, o] of Object.entries(allOptions(spec))) {
    const flag = o.type === "boolean" ? (o.defaultTrue ? `--${n} true|false` : `--${n}`) : `--${n} ${optMetavar(o, n)}`;
    const range = rangeText(o);
    const text = [o.description, range && `(${range})`, o.required && "(required)"].filter(Boolean).join(" ");
    rows.push(["Options:", flag, text]);
  }
  const width = Math.max(...rows.map((r) => r[1].length));
  const lines: string[] = [];
  let section = "";
  for (const [s, left, right] of rows) {
    if (s !== section) {
      lines.push("", s);
      section = s;
    }
    lines.push(`  ${left.padEnd(width)}  ${right}`.trimEnd());
  }
  return lines;
}
