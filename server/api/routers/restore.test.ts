/**
 * Restore from the browser, through the API and the download route, against the demo store:
 * PBS's rule (Datastore.Read on the namespace, or Datastore.Backup there plus ownership of the
 * group), the route's own authentication and strict parameters, and what a download sends.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createSession, createUser, grantRole, SESSION_COOKIE } from "../../auth";
import { DECLARED_LENGTH_HEADER, contentDisposition, downloadUrl, handleDownloadRequest, type DownloadQuery } from "../download";
import { caller, callerAs, codeOf, useDemoHome } from "../test-support";

useDemoHome();

const BASE = "http://console.local";
let rootCt: { type: "ct"; id: string; time: number };
let ownedCt: { type: "ct"; id: string; time: number };
const cookies: Record<string, string> = {};

beforeAll(async () => {
  for (const u of ["reader@pbs", "backup@pbs", "nobody@pbs"]) {
    await createUser(u, { password: "password-1" });
    cookies[u] = `${SESSION_COOKIE}=${await createSession(u)}`;
  }
  await grantRole({ path: "/datastore/demo", authId: "reader@pbs", role: "DatastoreReader" });
  await grantRole({ path: "/datastore/demo", authId: "backup@pbs", role: "DatastoreBackup" });
  const newest = async (ns: string, id: string) => {
    const page = await caller().snapshot.list({ store: "demo", ns, group: { type: "ct", id } });
    return { type: "ct" as const, id, time: page.items.find((s) => s.finished)!["backup-time"] };
  };
  rootCt = await newest("", "101"); // owned by root@pam
  ownedCt = await newest("prod", "210"); // owned by backup@pbs
});

function fetchDownload(q: Record<string, string>, headers: Record<string, string> = {}, method = "GET") {
  return handleDownloadRequest(new Request(`${BASE}/api/download?${new URLSearchParams(q).toString()}`, { method, headers: { host: "console.local", ...headers } }));
}

const query = (ns: string, s: { type: string; id: string; time: number }, archive: string, path?: string): DownloadQuery => ({
  store: "demo",
  ns,
  type: s.type as "ct",
  id: s.id,
  time: String(s.time),
  archive,
  ...(path !== undefined ? { path } : {}),
});

const asParams = (q: DownloadQuery) => Object.fromEntries(new URL(`${BASE}${downloadUrl(q)}`).searchParams);

describe("restore API", () => {
  it("lists a demo snapshot's archives and browses its directory archive", async () => {
    const archives = await callerAs("reader@pbs").restore.archives({ store: "demo", ns: "", snapshot: rootCt });
    expect(archives.map((a) => [a.filename, a.kind])).toEqual([
      ["pct.conf.blob", "blob"],
      ["root.pxar.didx", "directory"],
    ]);
    const top = await callerAs("reader@pbs").restore.browse({ store: "demo", ns: "", snapshot: rootCt, archive: "root.pxar.didx" });
    expect(top.entries.map((e) => e.name)).toEqual(["etc", "home", "srv", "usr", "var"]);
    const etc = await callerAs("reader@pbs").restore.browse({ store: "demo", ns: "", snapshot: rootCt, archive: "root.pxar.didx", path: "etc" });
    expect(etc.entries.find((e) => e.name === "hostname")).toMatchObject({ type: "file", size: 6, path: "etc/hostname" });
  });

  it("allows a Backup-only user on the groups it owns and refuses it on others; no privilege is refused", async () => {
    const backup = callerAs("backup@pbs").restore;
    expect((await backup.archives({ store: "demo", ns: "prod", snapshot: ownedCt })).length).toBe(2);
    expect(await codeOf(backup.archives({ store: "demo", ns: "", snapshot: rootCt }))).toBe("FORBIDDEN");
    expect(await codeOf(backup.browse({ store: "demo", ns: "", snapshot: rootCt, archive: "root.pxar.didx" }))).toBe("FORBIDDEN");
    expect(await codeOf(callerAs("nobody@pbs").restore.archives({ store: "demo", ns: "", snapshot: rootCt }))).toBe("FORBIDDEN");
    expect(await codeOf(callerAs(undefined).restore.archives({ store: "demo", ns: "", snapshot: rootCt }))).toBe("UNAUTHORIZED");
  });

  it("refuses path tricks and archive names outside the rules, with what is allowed", async () => {
    const reader = callerAs("reader@pbs").restore;
    for (const path of ["../etc", "/etc", "etc/../..", "etc//x", "."]) {
      await expect(reader.browse({ store: "demo", ns: "", snapshot: rootCt, archive: "root.pxar.didx", path })).rejects.toThrow(
        /a path inside an archive is relative \(etc\/hosts\), without empty, '\.' or '\.\.' parts/,
      );
    }
    for (const archive of ["../owner", "root.pxar", "x/../root.pxar.didx"]) {
      await expect(reader.browse({ store: "demo", ns: "", snapshot: rootCt, archive })).rejects.toThrow(/an archive is named as in the snapshot/);
    }
    expect(await codeOf(reader.browse({ store: "demo", ns: "", snapshot: rootCt, archive: "index.json.blob" }))).toBe("NOT_FOUND");
  });
});

describe("download route", () => {
  it("refuses anonymous callers with 401 before reading the request", async () => {
    const res = await fetchDownload(asParams(query("", rootCt, "root.pxar.didx", "etc/hostname")));
    expect(res.status).toBe(401);
    expect(await res.text()).toBe("authentication required\n");
    expect((await fetchDownload({ nonsense: "1" })).status).toBe(401);
  });

  it("sends a file to a reader with its size, name and content", async () => {
    const res = await fetchDownload(asParams(query("", rootCt, "root.pxar.didx", "etc/hostname")), { cookie: cookies["reader@pbs"]! });
    expect(res.status).toBe(200);
    expect(res.headers.get(DECLARED_LENGTH_HEADER)).toBe("6");
    // Next would gzip a compressible type, and the declared length would no longer be the one sent.
    expect(res.headers.get("cache-control")).toBe("no-store, no-transform");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="hostname"; filename*=UTF-8''hostname`);
    expect(await res.text()).toBe("ct101\n");
  });

  it("sends a folder as a tar whose length is the announced Content-Length", async () => {
    const res = await fetchDownload(asParams(query("", rootCt, "root.pxar.didx", "etc")), { cookie: cookies["reader@pbs"]! });
    expect(res.headers.get("content-type")).toBe("application/x-tar");
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(Number(res.headers.get(DECLARED_LENGTH_HEADER)));
    expect(body.subarray(257, 262).toString()).toBe("ustar");
  });

  it("answers HEAD with the size and releases the snapshot at once (Next never reads a HEAD body)", async () => {
    const res = await fetchDownload(asParams(query("", rootCt, "root.pxar.didx", "etc")), { cookie: cookies["reader@pbs"]! }, "HEAD");
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
    expect(Number(res.headers.get(DECLARED_LENGTH_HEADER))).toBeGreaterThan(1024);
    expect((await caller().maintenance.get({ store: "demo" }))["active-operations"]).toEqual({ read: 0, write: 0 });
  });

  it("applies PBS's rule: Backup plus ownership, never someone else's group, nothing without a privilege", async () => {
    const own = await fetchDownload(asParams(query("prod", ownedCt, "pct.conf.blob")), { cookie: cookies["backup@pbs"]! });
    expect(own.status).toBe(200);
    expect(await own.text()).toMatch(/^arch: amd64\nhostname: ct210\n/);
    const other = await fetchDownload(asParams(query("", rootCt, "pct.conf.blob")), { cookie: cookies["backup@pbs"]! });
    expect(other.status).toBe(403);
    expect(await other.text()).toBe("backup owner check failed (backup@pbs != root@pam)\n");
    const none = await fetchDownload(asParams(query("", rootCt, "pct.conf.blob")), { cookie: cookies["nobody@pbs"]! });
    expect(none.status).toBe(403);
    expect(await none.text()).toMatch(/^permission check failed - missing Datastore\.Read\|Datastore\.Backup on \/datastore\/demo/);
  });

  it("refuses unknown, repeated and malformed parameters and path tricks with what is allowed", async () => {
    const cookie = cookies["reader@pbs"]!;
    const good = asParams(query("", rootCt, "root.pxar.didx", "etc/hostname"));
    const cases: [Record<string, string> | string, RegExp][] = [
      [{ ...good, extra: "1" }, /Unrecognized key/i],
      [{ ...good, time: "12abc" }, /time: the snapshot's backup time in epoch seconds/],
      [{ ...good, path: "../../etc/passwd" }, /a path inside an archive is relative/],
      [{ ...good, archive: "../../../etc/passwd" }, /an archive is named as in the snapshot/],
      [{ ...good, ns: "../x" }, /ns: /],
      [`${new URLSearchParams(good).toString()}&path=etc`, /parameter 'path' is given twice/],
    ];
    for (const [q, why] of cases) {
      const url = typeof q === "string" ? `${BASE}/api/download?${q}` : `${BASE}/api/download?${new URLSearchParams(q).toString()}`;
      const res = await handleDownloadRequest(new Request(url, { headers: { host: "console.local", cookie } }));
      expect(res.status, JSON.stringify(q)).toBe(400);
      expect(await res.text()).toMatch(why);
    }
    const missing = await fetchDownload({ ...good, path: "etc/nope" }, { cookie });
    expect(missing.status).toBe(404);
  });

  it("quotes file names safely (RFC 6266)", () => {
    expect(contentDisposition('a"b\\c ü.txt')).toBe(`attachment; filename="a_b_c _.txt"; filename*=UTF-8''a%22b%5Cc%20%C3%BC.txt`);
  });
});
