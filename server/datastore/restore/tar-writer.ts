/**
 * A POSIX tar (pax interchange format, POSIX.1-2001) writer for directory downloads: ustar
 * headers, with a pax extended header in front of an entry whenever ustar cannot hold it
 * exactly (a path or link target over 100 bytes or not ASCII, a size of 8 GiB or more, ids
 * beyond 7 octal digits). GNU tar, bsdtar and Python's tarfile read it.
 *
 * The header of an entry depends only on the entry, so the size of the whole tar is known
 * before a byte of it is sent (`tarSize`): the download can announce its Content-Length.
 */

export interface TarEntry {
  /** Path inside the tar, `/`-separated, relative; directories without a trailing slash. */
  name: string;
  type: "file" | "dir" | "symlink";
  mode: number;
  uid: number;
  gid: number;
  /** Nanoseconds since the epoch; the tar keeps whole seconds. */
  mtimeNs: bigint;
  size: number;
  target?: string;
}

const BLOCK = 512;
/** Largest value of an n-byte octal field (n - 1 digits and a NUL). */
const octalMax = (n: number) => 8 ** (n - 1) - 1;

export const TAR_END = Buffer.alloc(2 * BLOCK);

export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

/** A pax record `"<len> <key>=<value>\n"`, where `<len>` counts the whole record itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  let digits = String(n).length;
  while (String(n + digits).length !== digits) digits++;
  return `${n + digits}${body}`;
}

function writeString(h: Buffer, offset: number, size: number, s: string): void {
  h.write(s, offset, size, "utf8");
}

function writeOctal(h: Buffer, offset: number, size: number, n: number): void {
  h.write(n.toString(8).padStart(size - 1, "0") + "\0", offset, size, "ascii");
}

function ustarHeader(name: string, typeflag: string, e: { mode: number; uid: number; gid: number; mtime: number; size: number; linkname?: string }): Buffer {
  const h = Buffer.alloc(BLOCK);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, e.mode & 0o7777);
  writeOctal(h, 108, 8, Math.min(e.uid, octalMax(8)));
  writeOctal(h, 116, 8, Math.min(e.gid, octalMax(8)));
  writeOctal(h, 124, 12, Math.min(e.size, octalMax(12)));
  writeOctal(h, 136, 12, Math.max(0, Math.min(e.mtime, octalMax(12))));
  h.write("        ", 148, 8, "ascii"); // the checksum counts its own field as spaces
  h.write(typeflag, 156, 1, "ascii");
  if (e.linkname) writeString(h, 157, 100, e.linkname);
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return h;
}

/** Fits in ustar's fields unchanged (otherwise the pax header carries the exact value). */
const fitsName = (s: string) => isAscii(s) && Buffer.byteLength(s) <= 100;

/** The header block(s) of one entry: a pax header first when ustar cannot hold it exactly. */
export function tarHeader(e: TarEntry): Buffer {
  const name = e.type === "dir" ? `${e.name}/` : e.name;
  const size = e.type === "file" ? e.size : 0;
  const mtime = Number(e.mtimeNs / 1_000_000_000n);
  const pax: string[] = [];
  if (!fitsName(name)) pax.push(paxRecord("path", name));
  if (e.target !== undefined && !fitsName(e.target)) pax.push(paxRecord("linkpath", e.target));
  if (size > octalMax(12)) pax.push(paxRecord("size", String(size)));
  if (e.uid > octalMax(8)) pax.push(paxRecord("uid", String(e.uid)));
  if (e.gid > octalMax(8)) pax.push(paxRecord("gid", String(e.gid)));
  if (mtime < 0 || mtime > octalMax(12)) pax.push(paxRecord("mtime", String(mtime)));
  const typeflag = e.type === "dir" ? "5" : e.type === "symlink" ? "2" : "0";
  // The ustar fields get a truncated ASCII stand-in when pax carries the real value.
  const short = (s: string) => (fitsName(s) ? s : Buffer.from(s.replace(/[^\x20-\x7e]/g, "_")).subarray(0, 100).toString("latin1"));
  const main = ustarHeader(short(name), typeflag, {
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    mtime,
    size,
    ...(e.target !== undefined ? { linkname: short(e.target) } : {}),
  });
  if (pax.length === 0) return main;
  const data = Buffer.from(pax.join(""), "utf8");
  const paxName = `PaxHeaders/${short(name).split("/").filter(Boolean).pop() ?? "entry"}`.slice(0, 100);
  const paxHead = ustarHeader(paxName, "x", { mode: 0o644, uid: 0, gid: 0, mtime: Math.max(0, Math.min(mtime, octalMax(12))), size: data.length });
  return Buffer.concat([paxHead, data, Buffer.alloc(padding(data.length)), main]);
}

/** The exact size of a tar of `entries`: headers, data padded to blocks, and the end blocks. */
export function tarSize(entries: Iterable<TarEntry>): number {
  let n = TAR_END.length;
  for (const e of entries) {
    n += tarHeader(e).length;
    if (e.type === "file") n += e.size + padding(e.size);
  }
  return n;
}
