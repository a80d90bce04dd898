/** The shape of one `coffer` sub-command, and helpers the commands share. */
import { openDatastore, type HandleFor } from "../datastore";
import {
  BackupNamespace,
  MAX_BACKUP_NAMESPACE_LENGTH,
  MAX_NAMESPACE_COMPONENT_LENGTH,
  MAX_NAMESPACE_DEPTH,
  SAFE_ID_REGEX,
  checkDatastoreName,
  parseGroupPath,
  printable,
  type GroupRef,
} from "../datastore/model/names";
import { badRequest } from "../datastore/model/errors";
import { checkNamespaceInput } from "../datastore/model/schemas";
import type { Operation } from "../datastore/model/types";
import type { CommandSpec, OptionSpec, Parsed, PositionalSpec } from "./args";
import type { OutputFormat } from "./output";

export interface Command {
  path: string[];
  /** One short line for the command lists (`coffer --help`, `coffer group`). */
  summary: string;
  /** What `--help` adds below the usage line, when the summary does not say it all. */
  description?: string;
  spec: CommandSpec;
  hidden?: boolean;
  /** Returns the exit status (0 when omitted). */
  run(args: Parsed, format: OutputFormat): Promise<number | void>;
}

export const str = (args: Parsed, name: string): string | undefined => {
  const v = args.positionals[name] ?? args.options[name];
  return typeof v === "string" ? v : undefined;
};

export const req = (args: Parsed, name: string): string => {
  const v = str(args, name);
  if (v === undefined) throw new Error(`internal: missing ${name}`);
  return v;
};

// The arguments and options most commands share, described once for help.
export const STORE: PositionalSpec = { name: "store", description: "datastore name" };
export const GROUP: PositionalSpec = { name: "group", metavar: "<type>/<id>", description: "backup group, e.g. vm/100 (type vm, ct or host)" };
export const SNAPSHOT: PositionalSpec = {
  name: "snapshot",
  metavar: "<type>/<id>/<time>",
  description: "snapshot, e.g. vm/100/2024-05-01T10:00:00Z",
};
export const NS_OPTION: OptionSpec = { type: "string", metavar: "NS", description: 'namespace, e.g. prod/eu (default: the root namespace, "")' };

const NAME_RULE = `1 to ${MAX_NAMESPACE_COMPONENT_LENGTH} characters of A-Z a-z 0-9 _ . - (not starting with . or -)`;

/**
 * A namespace typed on the command line, e.g. `prod/eu`; "" is the root. Refused with what is
 * allowed (the engine's own texts, such as "namespace too deep, 7 >= max 7", are PBS's and
 * stay for the engine); anything these checks miss is refused by the engine's parser, which is
 * the same one the API uses.
 */
export function namespaceArg(value: string, what = "namespace"): BackupNamespace {
  const shown = (s: string) => printable(s.length > 40 ? `${s.slice(0, 40)}...` : s);
  const bad = (why: string) => badRequest(`invalid ${what} '${shown(value)}': ${why}`);
  if (value === "") return BackupNamespace.root;
  const parts = value.split("/");
  if (parts.some((p) => p === "")) throw bad("separate the names with single slashes, with none at the start or the end");
  for (const p of parts) {
    if (p.length > MAX_NAMESPACE_COMPONENT_LENGTH || !SAFE_ID_REGEX.test(p)) throw bad(`'${shown(p)}' is not a valid name; use ${NAME_RULE}`);
  }
  if (parts.length > MAX_NAMESPACE_DEPTH) throw bad(`namespaces go at most ${MAX_NAMESPACE_DEPTH} levels deep; this one has ${parts.length}`);
  if (value.length >= MAX_BACKUP_NAMESPACE_LENGTH) {
    throw bad(`a namespace has at most ${MAX_BACKUP_NAMESPACE_LENGTH - 1} characters in all; this one has ${value.length}`);
  }
  return checkNamespaceInput(value);
}

/** `--ns` as a namespace; leaving it out and `--ns ""` both mean the root. */
export const nsOf = (args: Parsed, name = "ns"): BackupNamespace => namespaceArg(str(args, name) ?? "", name === "ns" ? "namespace" : `--${name}`);

export const groupOf = (s: string): GroupRef => parseGroupPath(s);

/** Opens a datastore for the length of `fn` and always closes it (uncounting the operation). */
export async function withDatastore<O extends Operation, T>(
  store: string,
  op: O,
  fn: (handle: HandleFor<O>) => Promise<T>,
): Promise<T> {
  checkDatastoreName(store);
  const handle = await openDatastore(store, op);
  try {
    return await fn(handle);
  } finally {
    await handle.close();
  }
}
