/**
 * Benchmark: one page of a namespace's groups at 10,000 groups, for every sort and a text
 * filter, as the console asks for it (server/datastore/content/listing-page.ts).
 *
 *   node --import tsx bench/listing.ts [--groups 10000] [--runs 7]
 *
 * Builds a namespace of `--groups` real group directories (test-support/big-namespace.ts: an
 * owner file each, a snapshot in every 100th) on tmpfs when there is one. For each way of
 * asking it times, in process and in turns:
 *   - cold: the first page right after the caches were dropped (what the first visitor waits);
 *   - warm: the median of `--runs` further pages (what paging, sorting again and reloading wait);
 * and, in the same run on the same directories, the baseline: listing the namespace's group
 * directories with readdir, the least any listing must do. It prints wall-clock and CPU
 * milliseconds (the CPU time of this process, which other load on a shared machine skews less)
 * and the ratio.
 * It also prints what a cache checked against each group directory's mtime cannot go below:
 * readdir plus one lstat per group. The goal (issue 12) is under 100 ms for every warm page.
 */
import { lstatSync, readdirSync } from "node:fs";
import path from "node:path";
import { buildBigNamespace } from "../server/datastore/test-support/big-namespace";
import { useTempStore } from "../server/datastore/test-support/temp-store";
import { BackupNamespace } from "../server/datastore/model/names";
import { openDatastore } from "../server/datastore/open";
import { dropListingCaches, pageGroups, type GroupPageOptions } from "../server/datastore/content/listing-page";
import { arg } from "./support/args";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const groups = arg("groups", 10_000);
  const runs = arg("runs", 7);
  const temp = await useTempStore("bench");
  try {
    const big = await buildBigNamespace("bench", { groups, snapshots: 20 });
    console.log(`built ${big.groups} groups in ${big.ms} ms under ${temp.path}`);
    const vmDir = path.join(temp.path, "ns", big.ns, "vm");
    const ns = BackupNamespace.parse(big.ns);
    const ds = await openDatastore("bench", "read");
    try {
      const cases: [string, Omit<GroupPageOptions, "offset" | "limit">][] = [
        ["name", { sort: "name" }],
        ["name, descending", { sort: "name", desc: true }],
        ["last backup", { sort: "last-backup", desc: true }],
        ["backup count", { sort: "backup-count", desc: true }],
        ["owner", { sort: "owner" }],
        ["filter 'backup@'", { filter: "backup@" }],
        ["filter 'vm/99'", { filter: "vm/99" }],
        ["filter + last backup", { filter: "root", sort: "last-backup", desc: true }],
      ];
      const baseline: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        readdirSync(vmDir).sort();
        baseline.push(performance.now() - t);
      }
      const base = median(baseline);
      const withStat: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        for (const name of readdirSync(vmDir)) lstatSync(`${vmDir}/${name}`);
        withStat.push(performance.now() - t);
      }
      console.log(`\nbaseline: readdir of ${groups} group directories: ${base.toFixed(1)} ms`);
      const floor = median(withStat);
      console.log(`floor of a cache checked per group: readdir + lstat of each: ${floor.toFixed(1)} ms\n`);
      console.log("page of 50 groups        cold ms   warm ms   cpu ms   warm / readdir   warm / floor");
      let worst = 0;
      for (const [label, opts] of cases) {
        dropListingCaches();
        let t = performance.now();
        await pageGroups(ds, ns, { ...opts, offset: 0, limit: 50 });
        const cold = performance.now() - t;
        const warm: number[] = [];
        const cpu: number[] = [];
        for (let i = 0; i < runs; i++) {
          t = performance.now();
          const c = process.cpuUsage();
          await pageGroups(ds, ns, { ...opts, offset: 50 * i, limit: 50 });
          const used = process.cpuUsage(c);
          cpu.push((used.user + used.system) / 1000);
          warm.push(performance.now() - t);
        }
        const w = median(warm);
        worst = Math.max(worst, w);
        console.log(
          `${label.padEnd(24)} ${cold.toFixed(0).padStart(7)} ${w.toFixed(1).padStart(9)} ${median(cpu).toFixed(1).padStart(8)} ${(w / base).toFixed(1).padStart(13)}x ${(w / floor).toFixed(1).padStart(13)}x`,
        );
      }
      console.log(`\nslowest warm page: ${worst.toFixed(1)} ms (goal: under 100 ms)`);
    } finally {
      await ds.close();
    }
  } finally {
    await temp.cleanup();
  }
}

await main();
