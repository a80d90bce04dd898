/**
 * Child process for writer tests: begins a backup of `<type>/<id>` at `<time>` in store
 * `<store>`, writes a blob, then streams an image slowly, printing `writing` once the image has
 * started, so the parent can kill it halfway.
 */
import { BackupNamespace, parseGroupPath } from "../model/names";
import { openDatastore } from "../open";
import { SnapshotWriter } from "../backup/snapshot-writer";

const [store, group, time] = process.argv.slice(2);
const ds = await openDatastore(store!, "write");
const w = await SnapshotWriter.begin(ds, BackupNamespace.root, parseGroupPath(group!), {
  authId: "root@pam",
  backupTime: Number(time),
});
await w.writeBlob("test.conf", Buffer.from("x"));
async function* slow() {
  for (let i = 0; ; i++) {
    yield Buffer.alloc(64 * 1024, i % 251);
    if (i === 3) process.stdout.write("writing\n");
    await new Promise((r) => setTimeout(r, 20));
  }
}
await w.writeFixed("disk.img", slow(), { chunkSize: 64 * 1024 });
