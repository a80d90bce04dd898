#!/usr/bin/env node
// @ts-check
/**
 * `npm test` step "layering": builds the import graph of the repo's own code and checks it
 * against the rules in scripts/layers.mjs (layer directions, the engine's one public surface,
 * no cycles). Prints every violation with the rule's reason; exits 1 if there is any.
 */
import { builtinModules } from "node:module";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { cycles, ruleViolations } from "./layers.mjs";

const ROOTS = ["server", "components", "app", "scripts", "bench", "e2e", "instrumentation.ts"];
const EXTENSIONS = [".ts", ".tsx", ".mts", ".mjs", ".js"];
const SKIP = new Set(["node_modules", ".next", ".coffer", "test-results"]);
const BUILTINS = new Set(builtinModules);

/** @param {string} root @returns {string[]} repo-relative source files */
function sourceFiles(root) {
  /** @type {string[]} */
  const out = [];
  /** @param {string} rel */
  const walk = (rel) => {
    const abs = path.join(root, rel);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs)) if (!SKIP.has(name)) walk(path.join(rel, name));
    } else if (EXTENSIONS.includes(path.extname(rel)) && !rel.endsWith(".d.ts")) {
      out.push(rel.split(path.sep).join("/"));
    }
  };
  for (const r of ROOTS) walk(r);
  return out;
}

const STATIC = /^(?:import|export)\s(?:[^;"'`]|"[^"]*"|'[^']*')*?\bfrom\s*["']([^"']+)["']/gm;
const BARE = /^import\s*["']([^"']+)["']/gm;
const DYNAMIC = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

/**
 * The specifiers a source file imports (static, side-effect and dynamic imports).
 * @param {string} text
 * @returns {string[]}
 */
export function importSpecifiers(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "");
  /** @type {Set<string>} */
  const out = new Set();
  for (const re of [STATIC, BARE, DYNAMIC]) for (const m of code.matchAll(re)) out.add(/** @type {string} */ (m[1]));
  return [...out];
}

/**
 * What a specifier names: a repo module (repo-relative path), `node:<mod>` or `npm:<pkg>`;
 * undefined when a relative one resolves to nothing (tsc reports that).
 * @param {string} root @param {string} from @param {string} spec
 */
export function resolveSpecifier(root, from, spec) {
  if (spec.startsWith("node:") || BUILTINS.has(spec.split("/")[0] ?? "")) return `node:${spec.replace(/^node:/, "")}`;
  let base;
  if (spec.startsWith("@/")) base = spec.slice(2);
  else if (spec.startsWith(".")) base = path.posix.join(path.posix.dirname(from), spec);
  else return `npm:${spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]}`;
  for (const cand of [base, ...EXTENSIONS.map((e) => base + e), ...EXTENSIONS.map((e) => `${base}/index${e}`)]) {
    const abs = path.join(root, cand);
    if (existsSync(abs) && statSync(abs).isFile()) return path.posix.normalize(cand);
  }
  return undefined;
}

/** @param {string} root @returns {Map<string, Set<string>>} */
export function importGraph(root) {
  const graph = new Map();
  for (const file of sourceFiles(root)) {
    const deps = new Set();
    for (const spec of importSpecifiers(readFileSync(path.join(root, file), "utf8"))) {
      const to = resolveSpecifier(root, file, spec);
      if (to) deps.add(to);
    }
    graph.set(file, deps);
  }
  return graph;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const graph = importGraph(root);
  const broken = ruleViolations(graph);
  const loops = cycles(graph);
  for (const v of broken) console.error(`layering: ${v.rule}: ${v.from} imports ${v.to} (${v.why})`);
  for (const c of loops) console.error(`layering: no-cycles: ${c.join(" -> ")} import each other`);
  const edges = [...graph.values()].reduce((n, s) => n + s.size, 0);
  if (broken.length + loops.length > 0) {
    console.error(`layering: ${broken.length} rule violation(s), ${loops.length} cycle(s) in ${graph.size} modules`);
    process.exit(1);
  }
  console.log(`layering: ${graph.size} modules, ${edges} imports, no violations, no cycles`);
}
