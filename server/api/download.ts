/**
 * The download route (node-adapter.ts serves it; app/api/download/route.ts under `next dev`): a
 * snapshot's archive, or a file or folder of a directory archive, streamed as it is read, with
 * its size announced before the first byte so that the browser shows real progress. The size
 * goes out in DECLARED_LENGTH_HEADER, which node-adapter.ts turns into Content-Length (a fetch
 * Response cannot declare the length of a stream); `no-transform` keeps any gzip off the body,
 * whose length would otherwise differ from the one declared. tRPC answers in JSON, so
 * the bytes get a route of their own, with the same rules as every procedure:
 *
 * - the caller comes from the session cookie or an API token, exactly as for tRPC
 *   (auth-middleware.ts `resolveCaller`); anonymous callers get 401 before the input is read;
 * - the query is parsed strictly with the engine's schemas (an unknown or repeated parameter is
 *   refused), and only the parsed values are authorised: Datastore.Read on the snapshot's
 *   namespace, or Datastore.Backup there plus ownership of the group (PBS /download);
 * - the store is opened with a read handle (maintenance applies, the operation is counted) that
 *   stays open, with the shared snapshot lock, until the body ends or the browser goes away;
 * - the archive name is looked up in the manifest, a path inside it in the archive's listing:
 *   neither ever becomes a file-system path.
 * A chunk that fails verification mid-stream aborts the response: the browser reports the
 * download as failed (the byte count falls short of Content-Length), never a silently wrong file.
 */
import { z } from "zod";
import { checkAccess, unauthorized } from "../auth";
import { openDatastore, openDownload } from "../datastore";
import { CofferError } from "../datastore/model/errors";
import { BackupNamespace } from "../datastore/model/names";
import { checkBackupOwner } from "../datastore/model/owner";
import { resolveCaller, sessionSetCookie } from "./auth-middleware";
import { toTRPCError } from "./init";
import { RESTORE_ACCESS } from "./routers/restore";
import { archiveFileSchema, archivePathSchema, backupIdSchema, backupTypeSchema, backupTimeSchema, namespaceSchema, storeNameSchema } from "./schemas";

/** Where the body's exact size goes; node-adapter.ts sends it as Content-Length and never as itself. */
export const DECLARED_LENGTH_HEADER = "x-coffer-content-length";

/** The query: `?store=&ns=&type=&id=&time=&archive=[&path=]` (time in epoch seconds). */
export const downloadQuerySchema = z.strictObject({
  store: storeNameSchema,
  ns: namespaceSchema,
  type: backupTypeSchema,
  id: backupIdSchema,
  time: z
    .string()
    .regex(/^[0-9]{1,12}$/, "time: the snapshot's backup time in epoch seconds")
    .transform(Number)
    .pipe(backupTimeSchema),
  archive: archiveFileSchema,
  path: archivePathSchema.optional(),
});

export type DownloadQuery = z.input<typeof downloadQuerySchema>;

/** The URL the console links to. */
export function downloadUrl(q: DownloadQuery): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  return `/api/download?${params.toString()}`;
}

/** HTTP statuses of the API's error codes (the same as tRPC's over HTTP). */
const STATUS: Partial<Record<string, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  TOO_MANY_REQUESTS: 429,
  CLIENT_CLOSED_REQUEST: 499,
};

function refuse(status: number, message: string, setCookie?: string): Response {
  const headers = new Headers({ "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  if (setCookie) headers.set("set-cookie", setCookie);
  return new Response(`${message}\n`, { status, headers });
}

/** RFC 6266: an ASCII fallback in `filename`, the real name UTF-8 percent-encoded in `filename*`. */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^A-Za-z0-9._ -]/g, "_") || "download";
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

function parseQuery(url: URL): z.output<typeof downloadQuerySchema> {
  const raw: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    if (k in raw) throw new CofferError("BAD_REQUEST", `parameter '${k}' is given twice`);
    raw[k] = v;
  }
  const parsed = downloadQuerySchema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
    throw new CofferError("BAD_REQUEST", `invalid download request: ${why}`);
  }
  return parsed.data;
}

export async function handleDownloadRequest(req: Request): Promise<Response> {
  const caller = resolveCaller(req.headers);
  const setCookie = sessionSetCookie(caller, req);
  if (caller.error) return refuse(401, caller.error.message, setCookie);
  if (!caller.authId) return refuse(401, unauthorized().message, setCookie);
  const authId = caller.authId;
  let finish = async () => {};
  try {
    const q = parseQuery(new URL(req.url));
    const grant = checkAccess(authId, RESTORE_ACCESS, { store: q.store, ns: q.ns });
    const ns = BackupNamespace.parse(q.ns);
    const snapshot = { type: q.type, id: q.id, time: q.time };
    const ds = await openDatastore(q.store, "read");
    finish = () => ds.close();
    if (grant.ownerOnly) checkBackupOwner(await ds.groupOwner(ns, snapshot), authId);
    const dl = await openDownload(ds, ns, snapshot, q.archive, q.path, req.signal);
    const headers = new Headers({
      "content-type": dl.contentType,
      [DECLARED_LENGTH_HEADER]: String(dl.size),
      "content-disposition": contentDisposition(dl.filename),
      "cache-control": "no-store, no-transform",
      "x-content-type-options": "nosniff",
    });
    if (setCookie) headers.set("set-cookie", setCookie);
    if (req.method === "HEAD") {
      // Next sends no body for HEAD and never reads or cancels it: release the snapshot now.
      await dl.close();
      await ds.close();
      return new Response(null, { status: 200, headers });
    }
    let done = false;
    finish = async () => {
      if (done) return;
      done = true;
      await dl.close().catch(() => undefined);
      await ds.close();
    };
    const end = finish;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await dl.body.next();
          if (next.done) {
            await end();
            controller.close();
          } else {
            controller.enqueue(next.value);
          }
        } catch (err) {
          await end();
          if (!req.signal.aborted) console.error(`download of '${q.archive}' failed:`, err);
          controller.error(err);
        }
      },
      async cancel() {
        await dl.body.return(undefined).catch(() => undefined);
        await end();
      },
    });
    return new Response(body, { status: 200, headers });
  } catch (err) {
    await finish().catch(() => undefined);
    const mapped = toTRPCError(err);
    const status = STATUS[mapped.code] ?? 500;
    if (status === 500) console.error("download failed:", err);
    return refuse(status, mapped.message, setCookie);
  }
}
