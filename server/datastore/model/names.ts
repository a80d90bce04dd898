/**
 * Names and their rules, as PBS 4.2 has them (reference pbs-engine.md 1.3, 1.4). Pure: no Node
 * APIs, so the console's forms validate with exactly the engine's rules.
 */
import { CofferError } from "./errors";

export const SAFE_ID_REGEX = /^(?:[A-Za-z0-9_][A-Za-z0-9._\-]*)$/;
export const BACKUP_ID_REGEX = SAFE_ID_REGEX;
export const BACKUP_TYPES = ["vm", "ct", "host"] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];
export const BACKUP_TIME_REGEX = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;
export const GROUP_PATH_REGEX = /^((?:host|vm|ct))\/([A-Za-z0-9_][A-Za-z0-9._\-]*)$/;
export const SNAPSHOT_PATH_REGEX =
  /^((?:host|vm|ct))\/([A-Za-z0-9_][A-Za-z0-9._\-]*)\/([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)$/;

/**
 * PBS sets no length for backup ids; the file system does: a group is the directory
 * `<type>/<id>`, and a name longer than 255 bytes cannot exist (ENAMETOOLONG). So every id that
 * can be on disk passes, and a longer one is refused up front with a clear message.
 */
export const MAX_BACKUP_ID_LENGTH = 255;

export const MAX_NAMESPACE_DEPTH = 7;
export const MAX_BACKUP_NAMESPACE_LENGTH = 256;
/** The create-namespace API limits a single component to 32 characters (reference 1.3). */
export const MAX_NAMESPACE_COMPONENT_LENGTH = 32;

const bad = (msg: string) => new CofferError("BAD_REQUEST", msg);

/** Datastore names: SAFE_ID, 3 to 32 characters. */
export function checkDatastoreName(name: string): string {
  if (name.length < 3 || name.length > 32 || !SAFE_ID_REGEX.test(name)) {
    throw bad(
      `invalid datastore name '${printable(name)}': use 3 to 32 characters of A-Z a-z 0-9 _ . - (not starting with . or -)`,
    );
  }
  return name;
}

export function isBackupType(s: string): s is BackupType {
  return (BACKUP_TYPES as readonly string[]).includes(s);
}

export function checkBackupType(s: string): BackupType {
  if (!isBackupType(s)) throw bad(`invalid backup type '${printable(s)}': expected one of vm, ct, host`);
  return s;
}

export function checkBackupId(id: string): string {
  if (id.length > MAX_BACKUP_ID_LENGTH) {
    throw bad(`invalid backup id '${printable(id.slice(0, 40))}…': at most ${MAX_BACKUP_ID_LENGTH} characters (it is ${id.length})`);
  }
  if (!BACKUP_ID_REGEX.test(id)) {
    throw bad(`invalid backup id '${printable(id)}': use A-Z a-z 0-9 _ . - (not starting with . or -)`);
  }
  return id;
}

/** Renders control characters visibly so an error message never carries raw NULs or escapes. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * A backup namespace: up to 7 SAFE_ID components. Immutable; `push` returns a new one.
 * The root namespace has no components and prints as the empty string.
 */
export class BackupNamespace {
  readonly components: readonly string[];
  /** Length as PBS counts it: every component plus one, even the first (the "+1 quirk"). */
  private readonly len: number;

  private constructor(components: readonly string[], len: number) {
    this.components = components;
    this.len = len;
  }

  static readonly root = new BackupNamespace([], 0);

  /** Parses `a/b/c`; the empty string is the root. */
  static parse(name: string): BackupNamespace {
    let ns = BackupNamespace.root;
    if (name === "") return ns;
    for (const part of name.split("/")) ns = ns.push(part);
    return ns;
  }

  /** Parses the path form `ns/a/ns/b` (with or without a trailing slash). */
  static fromPath(path: string): BackupNamespace {
    let ns = BackupNamespace.root;
    let rest = path;
    while (rest.length > 0) {
      const m = /^ns\/([^/]+)\/?/.exec(rest);
      if (!m) throw bad(`invalid component in namespace path at ${JSON.stringify(rest)}`);
      ns = ns.push(m[1]!);
      rest = rest.slice(m[0].length);
    }
    return ns;
  }

  /** Adds a component, with PBS's checks in PBS's order. */
  push(component: string): BackupNamespace {
    if (component.includes("/")) throw bad("namespace component contained a slash");
    if (this.depth >= MAX_NAMESPACE_DEPTH) throw bad(`namespace too deep, ${this.depth} >= max ${MAX_NAMESPACE_DEPTH}`);
    if (this.len + component.length + 1 > MAX_BACKUP_NAMESPACE_LENGTH) throw bad("namespace length exceeded");
    if (!SAFE_ID_REGEX.test(component)) throw bad(`not a valid namespace component: ${printable(component)}`);
    return new BackupNamespace([...this.components, component], this.len + component.length + 1);
  }

  get depth(): number {
    return this.components.length;
  }

  get isRoot(): boolean {
    return this.components.length === 0;
  }

  /** The last component; empty for the root. */
  get name(): string {
    return this.components[this.components.length - 1] ?? "";
  }

  /** The parent; the parent of the root is the root. */
  parent(): BackupNamespace {
    if (this.isRoot) return this;
    return new BackupNamespace(this.components.slice(0, -1), this.len - this.name.length - 1);
  }

  toString(): string {
    return this.components.join("/");
  }

  /** Relative directory of the namespace inside the datastore: `ns/a/ns/b` (root: ""). */
  path(): string {
    return this.components.map((c) => `ns/${c}`).join("/");
  }

  /** Lock folder name: components joined with `:` (root: ""). */
  lockFolder(): string {
    return this.components.join(":");
  }

  equals(other: BackupNamespace): boolean {
    return this.toString() === other.toString();
  }

  /** Extra depth of `other` below this namespace, or undefined if it is not inside it. */
  contains(other: BackupNamespace): number | undefined {
    if (other.depth < this.depth) return undefined;
    for (let i = 0; i < this.depth; i++) if (this.components[i] !== other.components[i]) return undefined;
    return other.depth - this.depth;
  }

  /** Replaces the prefix `src` of this namespace with `dst`. */
  mapPrefix(src: BackupNamespace, dst: BackupNamespace): BackupNamespace {
    const extra = src.contains(this);
    if (extra === undefined) throw bad(`Failed to map namespace - ${src} is not a valid prefix of ${this}`);
    let out = dst;
    for (const c of this.components.slice(src.depth)) out = out.push(c);
    return out;
  }

  /** Refuses a recursion depth that would reach past depth 7. */
  checkMaxDepth(maxDepth: number): void {
    if (this.depth + maxDepth > MAX_NAMESPACE_DEPTH) {
      throw bad(
        `namespace '${this}'s depth and recursion depth exceed limit: ${this.depth} + ${maxDepth} > ${MAX_NAMESPACE_DEPTH}`,
      );
    }
  }
}

/** PBS `check_namespace_depth_limit`, shared by moves (and later sync). */
export function checkNamespaceDepthLimit(
  source: BackupNamespace,
  target: BackupNamespace,
  namespaces: readonly BackupNamespace[],
): void {
  const maxDepth = namespaces.reduce((m, ns) => Math.max(m, ns.depth), -Infinity);
  const subDepth = namespaces.length === 0 ? 0 : maxDepth - source.depth;
  if (subDepth + target.depth > MAX_NAMESPACE_DEPTH) {
    throw bad(
      `namespace depth limit exceeded: source subtree depth (${subDepth}) + target depth (${target.depth}) would exceed max (${MAX_NAMESPACE_DEPTH})`,
    );
  }
}

/** A group inside its namespace. */
export interface GroupRef {
  type: BackupType;
  id: string;
}

export function parseGroupPath(s: string): GroupRef {
  const m = GROUP_PATH_REGEX.exec(s);
  if (!m) {
    throw bad(
      `invalid backup group '${printable(s)}': expected <type>/<id> with type vm, ct or host and an id of A-Z a-z 0-9 _ . -`,
    );
  }
  return { type: m[1] as BackupType, id: checkBackupId(m[2]!) };
}

export function groupPath(g: GroupRef): string {
  return `${g.type}/${g.id}`;
}

/** `2019-11-15T09:39:15Z` from epoch seconds (UTC, second precision). */
export function formatBackupTime(epoch: number): string {
  if (!Number.isSafeInteger(epoch)) throw bad(`invalid backup time ${epoch}`);
  const d = new Date(epoch * 1000);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw bad(`backup time ${epoch} is out of range (years 0..9999)`);
  // Years 0..9999 always print as `YYYY-MM-DDTHH:MM:SS.000Z`: drop the milliseconds.
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** Epoch seconds from `2019-11-15T09:39:15Z`. */
export function parseBackupTime(s: string): number {
  if (!BACKUP_TIME_REGEX.test(s)) throw bad(`invalid backup time '${printable(s)}': expected YYYY-MM-DDTHH:MM:SSZ`);
  const ms = Date.parse(s);
  if (Number.isNaN(ms) || formatBackupTime(ms / 1000) !== s) throw bad(`invalid backup time '${printable(s)}'`);
  return ms / 1000;
}

export interface SnapshotRef extends GroupRef {
  time: number;
}

/** Parses `<type>/<id>/<time>`. */
export function parseSnapshotPath(s: string): SnapshotRef {
  const m = SNAPSHOT_PATH_REGEX.exec(s);
  if (!m) throw bad(`invalid snapshot '${printable(s)}': expected <type>/<id>/<YYYY-MM-DDTHH:MM:SSZ>`);
  return { type: m[1] as BackupType, id: checkBackupId(m[2]!), time: parseBackupTime(m[3]!) };
}

export function snapshotPath(s: SnapshotRef): string {
  return `${s.type}/${s.id}/${formatBackupTime(s.time)}`;
}

const TYPE_SORT_ORDER: Record<BackupType, number> = { ct: 0, host: 1, vm: 2 };
const NUMERIC = /^[0-9]+$/;

/**
 * A string whose code-unit order is PBS's group order: type (ct < host < vm), then numeric ids
 * numerically (by length without leading zeros, then digits; the id itself breaks a tie such as
 * `007` and `7`) and before other ids, which compare as strings.
 */
export function groupSortKey(g: GroupRef): string {
  const type = TYPE_SORT_ORDER[g.type];
  if (!NUMERIC.test(g.id)) return `${type}1${g.id}`;
  const digits = g.id.replace(/^0+(?=.)/, "");
  return `${type}0${String(digits.length).padStart(4, "0")}${digits}\0${g.id}`;
}

/** PBS group order (see groupSortKey). */
export function compareGroups(a: GroupRef, b: GroupRef): number {
  const ka = groupSortKey(a);
  const kb = groupSortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Sorts in PBS group order, each key computed once (a namespace may hold 10,000 groups). */
export function sortGroups<T extends GroupRef>(refs: T[]): T[] {
  const keyed = refs.map((ref) => ({ ref, key: groupSortKey(ref) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) refs[i] = keyed[i]!.ref;
  return refs;
}

/**
 * Archive names as a user gives them map to server file names (reference 1.5):
 * `.img` -> `.img.fidx`; `.pxar` `.mpxar` `.ppxar` `.pcat1` -> `.didx`; `.conf` `.json` `.key`
 * `.log` -> `.blob`. Names that already carry a server extension are kept.
 */
export function archiveFileName(name: string): string {
  if (name.endsWith("/") || name.includes("/") || name === ".." || name === "." || name.length === 0) {
    throw bad(`invalid archive name '${printable(name)}'`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9._\-]*$/.test(name)) throw bad(`invalid archive name '${printable(name)}'`);
  if (/\.(fidx|didx|blob)$/.test(name)) return name;
  if (name.endsWith(".img")) return `${name}.fidx`;
  if (/\.(pxar|mpxar|ppxar|pcat1|didx)$/.test(name)) return `${name}.didx`;
  if (/\.(conf|json|key|log)$/.test(name)) return `${name}.blob`;
  throw bad(`failed to parse archive type for '${printable(name)}'`);
}

export type ArchiveType = "fixed" | "dynamic" | "blob";

export function archiveType(fileName: string): ArchiveType {
  if (fileName.endsWith(".fidx")) return "fixed";
  if (fileName.endsWith(".didx")) return "dynamic";
  if (fileName.endsWith(".blob")) return "blob";
  throw bad(`unknown archive type: ${JSON.stringify(fileName)}`);
}
