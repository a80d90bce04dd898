/**
 * The console's server and its page process (page-process.mjs): a real child process on a real
 * Unix socket, with a small server in Next's place (test-support/fake-page-server.mjs); the
 * browser tests (e2e/) go through the same path to the real pages.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startPageProcess } from "./page-process.mjs";

const FAKE = path.join(__dirname, "test-support", "fake-page-server.mjs");
const HOST = path.join(__dirname, "test-support", "page-host.mjs");

type Pages = ReturnType<typeof startPageProcess>;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The page process behind a plain front server, as serve.mjs puts it (the API left out). */
async function serveWithPages(): Promise<{ pages: Pages; base: string; log: string[]; firstLog: Promise<string> }> {
  const log: string[] = [];
  let logged: (line: string) => void = () => undefined;
  const firstLog = new Promise<string>((resolve) => (logged = resolve));
  const pages = startPageProcess({
    host: "127.0.0.1",
    port: 1,
    log: (l) => {
      log.push(l);
      logged(l);
    },
    script: FAKE,
  });
  const server = http.createServer((req, res) => pages.forward(req, res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(async () => {
    server.closeAllConnections();
    server.close();
    await pages.stop();
  });
  return { pages, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log, firstLog };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? "GET", headers: opts.headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for something only the kernel tells (another process's exit), checking every 20 ms. */
async function until(what: string, done: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still not so after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the page process", () => {
  it("passes a page request on, body and all, and the answer back without the hop's own headers", async () => {
    const { base } = await serveWithPages();
    const got = await request(`${base}/echo?x=1`, {
      method: "POST",
      headers: { "content-type": "text/plain", "x-coffer-client-address": "192.0.2.1", "proxy-connection": "keep-alive", te: "trailers" },
      body: "hello pages",
    });
    expect(got.status).toBe(201);
    expect(got.headers["set-cookie"]).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    expect(got.headers["keep-alive"]).not.toBe("timeout=99"); // the page server's own, for its hop only
    const echo = JSON.parse(got.body);
    expect(echo).toMatchObject({ method: "POST", url: "/echo?x=1", body: "hello pages" });
    expect(echo.headers["x-coffer-client-address"]).toBe("192.0.2.1");
    expect(echo.headers["proxy-connection"]).toBeUndefined();
    expect(echo.headers.te).toBeUndefined();
  });

  it("streams an answer as the page server sends it", async () => {
    const { base } = await serveWithPages();
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(`${base}/stream`, { agent: false }, resolve).on("error", reject));
    res.setEncoding("utf8");
    const [first] = (await once(res, "data")) as [string];
    expect(first).toBe("first\n");
    let rest = "";
    res.on("data", (c: string) => (rest += c));
    const ended = once(res, "end");
    expect((await request(`${base}/stream-end`)).body).toBe("ended\n");
    await ended;
    expect(rest).toBe("second\n");
  });

  it("starts a page server that died again, says so, and answers 503 meanwhile", async () => {
    const { pages, base, log } = await serveWithPages();
    await pages.whenReady();
    const first = pages.pid()!;
    const crashed = await request(`${base}/crash`);
    expect(crashed.status).toBe(503);
    expect(crashed.body).toMatch(/^the console's pages did not answer \(.+\); try again in a moment\n$/);
    await pages.whenReady();
    const again = await request(`${base}/echo`);
    expect(again.status).toBe(201);
    expect(JSON.parse(again.body).pid).not.toBe(first);
    expect(log).toEqual(["the page server stopped (exit code 3); starting it again in 0.5 s"]);
  });

  it("says so when the page server keeps stopping before it is ready, without making the browser wait", async () => {
    process.env.FAKE_PAGES_FAIL = "1";
    try {
      const { base, firstLog } = await serveWithPages();
      expect(await firstLog).toBe("the page server stopped (exit code 4); starting it again in 0.5 s");
      const got = await request(`${base}/`);
      expect(got.status).toBe(503);
      expect(got.headers["retry-after"]).toBe("2");
      expect(got.body).toBe("the console's pages are not available: their server stopped (exit code 4) and is being started again; the console's log says why\n");
    } finally {
      delete process.env.FAKE_PAGES_FAIL;
    }
  });

  it("keeps its socket where only this user can reach it, and leaves nothing when stopped", async () => {
    const { pages, base } = await serveWithPages();
    expect((await request(`${base}/echo`)).status).toBe(201);
    const pid = pages.pid()!;
    expect(statSync(pages.socketDir).mode & 0o777).toBe(0o700);
    expect(existsSync(path.join(pages.socketDir, "pages.sock"))).toBe(true);
    await pages.stop();
    expect(alive(pid)).toBe(false);
    expect(existsSync(pages.socketDir)).toBe(false);
  });

  it("removes what a server and its page process killed together left behind, when the next one starts", async () => {
    const host = spawn(process.execPath, [HOST], { stdio: ["ignore", "pipe", "inherit"] });
    const [line] = (await once(host.stdout!, "data")) as [Buffer];
    const { dir, child } = JSON.parse(line.toString()) as { dir: string; child: number };
    // As SIGKILL to the process group does: neither gets to clean up.
    process.kill(child, "SIGKILL");
    host.kill("SIGKILL");
    await once(host, "exit");
    await until("the page server has exited", () => !alive(child));
    expect(existsSync(dir)).toBe(true);
    // A directory of a server that still runs (this test's parent) is left alone.
    const live = mkdtempSync(path.join(os.tmpdir(), `coffer-pages-${process.ppid}-`));
    cleanups.push(async () => rmSync(live, { recursive: true, force: true }));
    const { pages } = await serveWithPages();
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(path.basename(pages.socketDir)).toMatch(new RegExp(`^coffer-pages-${process.pid}-[A-Za-z0-9]{6}$`));
  });

  it("goes when the server is killed outright, and removes its socket", async () => {
    const host = spawn(process.execPath, [HOST], { stdio: ["ignore", "pipe", "inherit"] });
    const [line] = (await once(host.stdout!, "data")) as [Buffer];
    const { dir, child } = JSON.parse(line.toString()) as { dir: string; child: number };
    expect(existsSync(dir)).toBe(true);
    host.kill("SIGKILL");
    await once(host, "exit");
    await until("the page server has exited", () => !alive(child));
    expect(existsSync(dir)).toBe(false);
  });
});
