import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDatastoreConfig, listDatastoreConfigs, updateDatastoreConfigs } from "./datastore-config";
import { useTempHome } from "../datastore/test-support/lock-env";

const execFileAsync = promisify(execFile);
let home: Awaited<ReturnType<typeof useTempHome>>;
beforeEach(async () => {
  home = await useTempHome();
});
afterEach(async () => {
  await home.cleanup();
});

/** Another process changes the config, as `coffer maintenance set` would. */
async function setCommentElsewhere(name: string, comment: string): Promise<void> {
  const script = `
    import { updateDatastoreConfigs } from "./server/config/datastore-config.ts";
    await updateDatastoreConfigs((l) => l.map((d) => (d.name === ${JSON.stringify(name)} ? { ...d, comment: ${JSON.stringify(comment)} } : d)));
  `;
  await execFileAsync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { env: process.env });
}

describe("datastore config", () => {
  it("is parsed once while unchanged, and a change by another process is seen by the next read", async () => {
    await updateDatastoreConfigs(() => [{ name: "store1", path: "/srv/store1" }]);
    const first = await getDatastoreConfig("store1");
    expect(await getDatastoreConfig("store1")).toBe(first);
    await setCommentElsewhere("store1", "changed elsewhere");
    const after = await getDatastoreConfig("store1");
    expect(after).not.toBe(first);
    expect(after.comment).toBe("changed elsewhere");
  });

  it("hands out a shared config that cannot be changed by accident; updates work on copies", async () => {
    await updateDatastoreConfigs(() => [{ name: "store1", path: "/srv/store1", "maintenance-mode": { type: "read-only" } }]);
    const shared = await getDatastoreConfig("store1");
    expect(() => {
      (shared as { comment?: string }).comment = "x";
    }).toThrow(TypeError);
    expect(() => {
      (shared["maintenance-mode"] as { type: string }).type = "offline";
    }).toThrow(TypeError);
    await updateDatastoreConfigs((list) => {
      for (const d of list) delete d["maintenance-mode"];
      return list;
    });
    expect((await listDatastoreConfigs())[0]).toEqual({ name: "store1", path: "/srv/store1" });
    expect(shared["maintenance-mode"]).toEqual({ type: "read-only" });
  });
});
