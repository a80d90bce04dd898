/** Shared steps of the content journeys: the API as the console calls it, and the engine writer. */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { ORIGIN } from "./auth";

export const STORE = "demo";

export async function query<T>(request: APIRequestContext, procedure: string, input: unknown): Promise<T> {
  const res = await request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`);
  expect(res.ok(), `${procedure} answered ${res.status()}`).toBe(true);
  return (await res.json()).result.data as T;
}

export async function mutate<T>(request: APIRequestContext, procedure: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${procedure}`, { data: input, headers: { origin: ORIGIN } });
  expect(res.ok(), `${procedure} answered ${res.status()}: ${await res.text()}`).toBe(true);
  return (await res.json()).result.data as T;
}

/** A finished snapshot written by the engine into the e2e COFFER_HOME. */
export function writeSnapshot(ns: string, group: string, epoch: number, owner: string) {
  execFileSync(
    process.execPath,
    ["--import", "tsx", path.resolve("e2e/support/write-snapshot.ts"), STORE, ns, group, String(epoch), owner],
    { env: { ...process.env, COFFER_HOME: process.env.COFFER_E2E_HOME }, stdio: "pipe" },
  );
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
}

export const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
