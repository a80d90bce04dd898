/**
 * Backup groups: `<ns>/<type>/<id>` with an `owner` file, optional `notes` and snapshot
 * directories (reference 1.4, 3.3, 3.4).
 */
import { CofferError, errorMessage, isErrno, withContext, withMessage } from "../model/errors";
import { groupRel, NOTES_FILE, OWNER_FILE, typeDirRel } from "../storage/layout";
import { type LockGuard } from "../../platform/file-lock";
import { lockGroup } from "../locking/locks";
import { BACKUP_ID_REGEX, BACKUP_TYPES, sortGroups, type BackupNamespace, type GroupRef, groupPath } from "../model/names";
import { parseAuthId } from "../model/owner";
import type { Store } from "../storage/store";

/** Groups of one namespace in PBS order; entries whose names are not valid ids are skipped, as PBS does. */
export async function listGroups(store: Store, ns: BackupNamespace): Promise<GroupRef[]> {
  const out: GroupRef[] = [];
  for (const type of BACKUP_TYPES) {
    const entries = await store.backend.list(typeDirRel(ns, type), { missingOk: true });
    for (const e of entries) {
      if (e.isDirectory && BACKUP_ID_REGEX.test(e.name)) out.push({ type, id: e.name });
    }
  }
  return sortGroups(out);
}

export function groupExists(store: Store, ns: BackupNamespace, g: GroupRef): Promise<boolean> {
  return store.backend.exists(groupRel(ns, g));
}

export async function assertGroupExists(store: Store, ns: BackupNamespace, g: GroupRef): Promise<void> {
  if (!(await groupExists(store, ns, g))) {
    throw new CofferError("NOT_FOUND", `group '${groupPath(g)}' does not exist in namespace '${ns}'`);
  }
}

/** The group's owner: first line of `owner`, end trimmed. */
export async function readOwner(store: Store, ns: BackupNamespace, g: GroupRef): Promise<string> {
  let raw: Buffer;
  try {
    raw = await store.backend.readFile(`${groupRel(ns, g)}/${OWNER_FILE}`);
  } catch (err) {
    throw withContext(`parsing owner for ${groupPath(g)} failed`, err);
  }
  return parseOwnerFile(raw, g);
}

/**
 * The owner, or undefined when the owner file is missing or empty (what an interrupted creation
 * or removal leaves; isRemovalLeftover tells which). One read where a stat and a read were.
 */
export async function readOwnerIfPresent(store: Store, ns: BackupNamespace, g: GroupRef): Promise<string | undefined> {
  let raw: Buffer | undefined;
  try {
    raw = await store.backend.readFileIfExists(`${groupRel(ns, g)}/${OWNER_FILE}`);
  } catch (err) {
    throw withContext(`parsing owner for ${groupPath(g)} failed`, err);
  }
  return raw === undefined || raw.length === 0 ? undefined : parseOwnerFile(raw, g);
}

function parseOwnerFile(raw: Buffer, g: GroupRef): string {
  const line = raw.toString("utf8").split("\n")[0]!.trimEnd();
  try {
    return parseAuthId(line);
  } catch (err) {
    throw withContext(`parsing owner for ${groupPath(g)} failed`, err);
  }
}

/** Rewrites the owner (PBS set_owner with force). Caller should hold the group lock. */
export async function writeOwner(store: Store, ns: BackupNamespace, g: GroupRef, owner: string): Promise<void> {
  await store.backend.writeFileAtomic(`${groupRel(ns, g)}/${OWNER_FILE}`, `${parseAuthId(owner)}\n`);
}

export async function readGroupNotes(store: Store, ns: BackupNamespace, g: GroupRef): Promise<string | undefined> {
  const raw = await store.backend.readFileIfExists(`${groupRel(ns, g)}/${NOTES_FILE}`);
  return raw?.toString("utf8");
}

/** Replaces the group notes atomically under the exclusive group lock (PBS set_group_notes). */
export async function setGroupNotes(store: Store, ns: BackupNamespace, g: GroupRef, notes: string): Promise<void> {
  await assertGroupExists(store, ns, g);
  let guard: LockGuard;
  try {
    guard = await lockGroup(store.name, ns, g);
  } catch (err) {
    throw withContext("failed to lock backup group", err);
  }
  try {
    await store.backend.writeFileAtomic(`${groupRel(ns, g)}/${NOTES_FILE}`, notes);
  } finally {
    await guard.release();
  }
}

export interface LockedGroup {
  guard: LockGuard;
  owner: string;
  /** The group directory was created by this call. */
  created: boolean;
}

/**
 * Creates the group if missing and locks it exclusively (PBS create_locked_backup_group).
 * A new group gets `owner` as its owner (create-new); an existing group keeps its owner, which
 * is returned so the caller can run its owner check. On a lock conflict a directory this call
 * just created is removed again. The target namespace must exist.
 */
export async function createLockedGroup(
  store: Store,
  ns: BackupNamespace,
  g: GroupRef,
  owner: string,
): Promise<LockedGroup> {
  const rel = groupRel(ns, g);
  const abs = store.backend.absolute(rel);
  let created: boolean;
  try {
    created = await mkdirGroup(store, ns, g.type, rel);
  } catch (err) {
    throw new CofferError("INTERNAL", `unable to create backup group ${JSON.stringify(abs)} - ${String(err)}`, {
      cause: err,
    });
  }
  const what = created ? "while creating new locked backup group" : "while creating locked backup group";
  let guard: LockGuard;
  try {
    guard = await lockGroup(store.name, ns, g);
  } catch (err) {
    if (created) await store.backend.rmdir(rel).catch(() => {});
    // PBS formats only the outer message here: `{err} while creating locked backup group {dir:?}`.
    throw withMessage(err, `${errorMessage(err)} ${what} ${JSON.stringify(abs)}`);
  }
  try {
    // A creator killed between mkdir and writing the owner leaves an empty group without an
    // owner (or with an empty owner file); it never held a snapshot, so it is adopted as if
    // this call had created it.
    const adopt = !created && !(await hasOwner(store, rel)) && (await isEmptyGroupDir(store, rel));
    if (created || adopt) {
      try {
        const content = `${parseAuthId(owner)}\n`;
        if (adopt) await store.backend.writeFileAtomic(`${rel}/${OWNER_FILE}`, content);
        else await store.backend.createFileExclusive(`${rel}/${OWNER_FILE}`, content);
      } catch (err) {
        await store.backend.rmdir(rel).catch(() => {});
        throw new CofferError(
          "INTERNAL",
          `unable to create owner file ${JSON.stringify(store.backend.absolute(`${rel}/${OWNER_FILE}`))} - ${String(err)}`,
        );
      }
      return { guard, owner, created: true };
    }
    return { guard, owner: await readOwner(store, ns, g), created };
  } catch (err) {
    await guard.release();
    throw err;
  }
}

/**
 * mkdir of a group directory; its type directory (and namespace directories) only when missing:
 * a move creates thousands of groups in a few type directories.
 */
async function mkdirGroup(store: Store, ns: BackupNamespace, type: GroupRef["type"], rel: string): Promise<boolean> {
  try {
    return await store.backend.mkdir(rel);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw err;
  }
  await store.backend.mkdir(typeDirRel(ns, type), { recursive: true });
  return store.backend.mkdir(rel);
}

/** An owner file with content (a kill during its creation can leave it empty). */
async function hasOwner(store: Store, rel: string): Promise<boolean> {
  const st = await store.backend.stat(`${rel}/${OWNER_FILE}`);
  return st !== undefined && st.size > 0;
}

/** True when the group directory holds no snapshot directory (only owner/notes, or nothing). */
async function isEmptyGroupDir(store: Store, rel: string): Promise<boolean> {
  const entries = await store.backend.list(rel, { missingOk: true });
  return !entries.some((e) => e.isDirectory);
}

/**
 * Whether a group directory is what an interrupted removal leaves behind: no owner and no
 * snapshots (removeGroupDir deletes notes, then owner, then the directory; a kill between the
 * steps leaves this). Moves finish such a removal instead of failing on the missing owner.
 */
export async function isRemovalLeftover(store: Store, ns: BackupNamespace, g: GroupRef): Promise<boolean> {
  const rel = groupRel(ns, g);
  return !(await hasOwner(store, rel)) && (await isEmptyGroupDir(store, rel));
}

/**
 * Removes an emptied group directory: notes, owner, the directory, then its lock file
 * (PBS remove_group_dir). The caller holds the group lock and hands it over. `notes: false`
 * says the caller knows there is no notes file (a move looked, under the same lock).
 */
export async function removeGroupDir(
  store: Store,
  ns: BackupNamespace,
  g: GroupRef,
  guard: LockGuard,
  { notes = true }: { notes?: boolean } = {},
): Promise<void> {
  const rel = groupRel(ns, g);
  const files: [string, string][] = notes ? [[NOTES_FILE, "note"], [OWNER_FILE, "owner"]] : [[OWNER_FILE, "owner"]];
  for (const [file, what] of files) {
    try {
      await store.backend.unlink(`${rel}/${file}`);
    } catch (err) {
      if (!isErrno(err, "ENOENT")) {
        throw new CofferError(
          "INTERNAL",
          `removing the ${what} file ${JSON.stringify(store.backend.absolute(`${rel}/${file}`))} failed - ${String(err)}`,
        );
      }
    }
  }
  try {
    await store.backend.rmdir(rel);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) {
      throw new CofferError(
        "INTERNAL",
        `removing group directory ${JSON.stringify(store.backend.absolute(rel))} failed - ${String(err)}`,
      );
    }
  }
  await guard.releaseAndRemove();
}
