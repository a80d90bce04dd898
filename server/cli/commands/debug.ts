import { CofferError } from "../../datastore/model/errors";
import { type LockGuard } from "../../platform/file-lock";
import { lockGroup, lockSnapshot } from "../../datastore";
import { GROUP_PATH_REGEX, parseGroupPath, parseSnapshotPath } from "../../datastore/model/names";
import type { Command } from "../command";
import { NS_OPTION, STORE, nsOf, req, withDatastore } from "../command";
import { UsageError } from "../args";

export const debugCommands: Command[] = [
  {
    path: ["debug", "hold-lock"],
    summary: "Hold a group or snapshot lock (for testing and support)",
    description:
      "Hold a group lock, or a snapshot lock (--shared for a shared one), for --seconds N or until Ctrl-C; prints 'locked' once held. " +
      "For testing lock conflicts and for support.",
    spec: {
      positionals: [
        STORE,
        { name: "target", metavar: "<type>/<id>[/<time>]", description: "a group (vm/100) or a snapshot (vm/100/2024-05-01T10:00:00Z)" },
      ],
      options: {
        ns: { ...NS_OPTION, description: 'the namespace of the group (default: the root namespace, "")' },
        shared: { type: "boolean", description: "a shared snapshot lock (snapshots only)" },
        seconds: { type: "integer", min: 1, max: 86400, required: true, description: "how long to hold the lock" },
      },
    },
    async run(args) {
      const store = req(args, "store");
      const target = req(args, "target");
      const seconds = args.options.seconds as number;
      const ns = nsOf(args);
      const shared = args.options.shared === true;
      const isGroup = GROUP_PATH_REGEX.test(target);
      if (isGroup && shared) throw new UsageError("--shared applies to snapshot locks only; group locks are always exclusive");
      const guard: LockGuard = await withDatastore(store, "read", async (ds) => {
        if (isGroup) {
          const g = parseGroupPath(target);
          await ds.group(ns, g);
          return lockGroup(store, ns, g);
        }
        const snap = parseSnapshotPath(target);
        await ds.snapshotFiles(ns, snap).catch(() => {
          throw new CofferError("NOT_FOUND", `snapshot '${target}' does not exist in namespace '${ns}'`);
        });
        return lockSnapshot(store, ns, snap, shared ? "shared" : "exclusive");
      });
      process.stdout.write("locked\n");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, seconds * 1000);
        const stop = () => {
          clearTimeout(timer);
          resolve();
        };
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
        guard.signal.addEventListener("abort", stop);
      });
      await guard.release();
      process.stdout.write("released\n");
    },
  },
];
