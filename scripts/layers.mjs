// @ts-check
/**
 * The layering of DESIGN.md section 1, as rules over the import graph, checked in `npm test`
 * (step "layering") so that it cannot quietly rot. From the bottom up:
 *
 *   server/datastore/model   pure names, types, schemas, errors: imports nothing but zod
 *   server/platform          process liveness, atomic files, the lock primitive
 *   server/config            COFFER_HOME paths, the datastore config
 *   server/datastore         the engine; outside it, only its index.ts (and model/) is used
 *   server/auth, server/tasks
 *   server/jobs              job config, calendar events, the scheduler (starts tasks)
 *   server/api, server/cli
 *   app, components          components see only the model and server/api/types.ts
 *
 * and no import cycles anywhere. Tests, test support and benchmarks may reach into the
 * engine's rooms to test them.
 *
 * (A maintained tool, dependency-cruiser, was tried first: with TypeScript 7 it has no
 * compiler API to parse TypeScript with, and its swc mode fails on TSX. Imports here are
 * plain `import`/`export ... from` lines, which a careful scan reads exactly.)
 */

export const TESTS = /(\.test\.tsx?$|\/test-support\/)/;

/**
 * @typedef {{ name: string, why: string, from: RegExp, fromNot?: RegExp, to: RegExp, toNot?: RegExp }} Rule
 * @type {Rule[]}
 */
export const RULES = [
  {
    name: "model-is-pure",
    why: "server/datastore/model is shared with the browser: no Node APIs, nothing but zod",
    from: /^server\/datastore\/model\//,
    fromNot: TESTS,
    to: /./,
    toNot: /^(server\/datastore\/model\/|npm:zod$)/,
  },
  {
    name: "platform-is-lowest",
    why: "server/platform builds on Node and the model only",
    from: /^server\/platform\//,
    fromNot: TESTS,
    to: /^(server\/(?!platform\/|datastore\/model\/)|app\/|components\/)/,
  },
  {
    name: "config-is-below-the-engine",
    why: "server/config is the layer the engine builds on: the platform and the model only",
    from: /^server\/config\//,
    fromNot: TESTS,
    to: /^(server\/(datastore\/(?!model\/)|auth\/|tasks\/|jobs\/|api\/|cli\/)|app\/|components\/)/,
  },
  {
    name: "engine-imports-nothing-above",
    why: "the engine knows nothing of its facades (API, CLI, tasks, auth, console)",
    from: /^server\/datastore\//,
    // Its tests may drive it through the CLI and the task runner, as users do.
    fromNot: TESTS,
    to: /^(server\/(api|auth|tasks|jobs|cli)\/|app\/|components\/)/,
  },
  {
    name: "engine-through-its-surface",
    why: "outside the engine, use server/datastore/index.ts or the pure model/: no untyped store, no internals",
    from: /^(server\/(api|auth|tasks|jobs|cli|config|platform)\/|app\/|scripts\/|instrumentation\.ts$)/,
    fromNot: TESTS,
    to: /^server\/datastore\//,
    toNot: /^server\/datastore\/(index\.ts$|model\/)/,
  },
  { name: "auth-below-api", why: "auth serves the API, never the reverse", from: /^server\/auth\//, to: /^server\/(api|tasks|cli)\// },
  { name: "tasks-below-api", why: "tasks serve the API and the CLI", from: /^server\/tasks\//, to: /^server\/(api|cli|jobs)\// },
  { name: "jobs-below-api", why: "scheduled jobs serve the API, the CLI and the server process", from: /^server\/jobs\//, to: /^server\/(api|cli)\// },
  {
    name: "cli-beside-api",
    why: "the CLI and the API are two facades over the same engine and runner; neither uses the other",
    from: /^server\/cli\//,
    to: /^server\/api\//,
  },
  {
    name: "components-see-model-and-api-types",
    why: "the console reaches the server over tRPC; it imports the engine's pure model and the API's types only",
    from: /^components\//,
    to: /^server\//,
    toNot: /^server\/(datastore\/model\/|api\/types\.ts$)/,
  },
];

/**
 * Violations of RULES in a graph of repo-relative module paths (`npm:<pkg>` and `node:<mod>`
 * for packages and built-ins).
 * @param {Map<string, Set<string>>} graph
 * @returns {{ rule: string, why: string, from: string, to: string }[]}
 */
export function ruleViolations(graph) {
  /** @type {{ rule: string, why: string, from: string, to: string }[]} */
  const out = [];
  for (const [from, tos] of graph) {
    for (const to of tos) {
      for (const r of RULES) {
        if (!r.from.test(from) || (r.fromNot && r.fromNot.test(from))) continue;
        if (!r.to.test(to) || (r.toNot && r.toNot.test(to))) continue;
        out.push({ rule: r.name, why: r.why, from, to });
      }
    }
  }
  return out;
}

/**
 * Every import cycle among the repo's own modules (strongly connected components of more than
 * one module, or a module importing itself), each as a list of paths.
 * @param {Map<string, Set<string>>} graph
 * @returns {string[][]}
 */
export function cycles(graph) {
  let index = 0;
  /** @type {Map<string, number>} */
  const idx = new Map();
  /** @type {Map<string, number>} */
  const low = new Map();
  /** @type {string[]} */
  const stack = [];
  const on = new Set();
  /** @type {string[][]} */
  const out = [];
  /** @param {string} v */
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) ?? 0, idx.get(w) ?? 0));
    }
    if (low.get(v) === idx.get(v)) {
      /** @type {string[]} */
      const comp = [];
      let w;
      do {
        w = /** @type {string} */ (stack.pop());
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || graph.get(v)?.has(v)) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return out;
}
