/**
 * Test support for backup tests: a source tree with every kind of entry the directory stream
 * carries, and a comparison of two trees down to modes, owners, mtimes (to the microsecond,
 * what Node's utimes keeps) and symlink targets.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Builds a tree under `root` (created): subdirectories, symlinks, empty files, odd modes, set mtimes. */
export function makeTree(root: string, bigBytes = 2 * 1024 * 1024 + 77): void {
  mkdirSync(path.join(root, "etc", "deep", "deeper"), { recursive: true });
  mkdirSync(path.join(root, "empty-dir"));
  writeFileSync(path.join(root, "hello.txt"), "hello\n");
  writeFileSync(path.join(root, "empty"), "");
  writeFileSync(path.join(root, "etc", "deep", "deeper", "big.bin"), randomBytes(bigBytes));
  writeFileSync(path.join(root, "etc", "script.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(path.join(root, "etc", "script.sh"), 0o755);
  writeFileSync(path.join(root, "etc", "secret"), "s3cret");
  chmodSync(path.join(root, "etc", "secret"), 0o600);
  symlinkSync("hello.txt", path.join(root, "link-rel"));
  symlinkSync("/nonexistent/abs/target", path.join(root, "etc", "link-abs"));
  symlinkSync("../..", path.join(root, "etc", "deep", "link-up"));
  chmodSync(path.join(root, "empty-dir"), 0o750);
  utimesSync(path.join(root, "hello.txt"), 1_600_000_000.123456, 1_600_000_000.123456);
  utimesSync(path.join(root, "etc", "deep"), 1_500_000_000, 1_500_000_000);
}

export interface TreeItem {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  /** Microseconds. */
  mtimeUs: string;
  size?: number;
  sha?: string;
  target?: string;
}

/** Every entry below `root` (the root itself as `.`), sorted, with content digests. */
export function describeTree(root: string): TreeItem[] {
  const out: TreeItem[] = [];
  const visit = (abs: string, rel: string) => {
    const st = lstatSync(abs, { bigint: true });
    const item: TreeItem = {
      path: rel,
      type: st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "file",
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeUs: (st.mtimeNs / 1000n).toString(),
    };
    if (st.isFile()) {
      const data = readFileSync(abs);
      item.size = data.length;
      item.sha = createHash("sha256").update(data).digest("hex");
    }
    if (st.isSymbolicLink()) item.target = readlinkSync(abs);
    out.push(item);
    if (st.isDirectory()) {
      for (const name of readdirSync(abs).sort()) visit(path.join(abs, name), rel === "." ? name : `${rel}/${name}`);
    }
  };
  visit(root, ".");
  return out;
}
