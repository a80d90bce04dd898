/** The shape of one `coffer` sub-command, and helpers the commands share. */
import { openDatastore, type HandleFor } from "../datastore";
import { BackupNamespace, checkDatastoreName, parseGroupPath, type GroupRef } from "../datastore/model/names";
import { checkNamespaceInput } from "../datastore/model/schemas";
import type { Operation } from "../datastore/model/types";
import type { CommandSpec, Parsed } from "./args";
import type { OutputFormat } from "./output";

export interface Command {
  path: string[];
  summary: string;
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

/**
 * `--ns` as a namespace; leaving it out and `--ns ""` both mean the root. Checked as the API
 * checks it (server/datastore/schemas.ts), component length included.
 */
export const nsOf = (args: Parsed, name = "ns"): BackupNamespace => checkNamespaceInput(str(args, name) ?? "");

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
