/**
 * Failure notices of jobs: where configured (`etc/job-notify.json`, `{"webhook": URL}`), a
 * failed run is posted as JSON to the webhook, once per run. PBS sends job notifications through
 * its notification targets (a webhook target among them); this is the webhook part.
 */
import { promises as fs } from "node:fs";
import { z } from "zod";
import { paths } from "../config/paths";
import { CofferError, isErrno } from "../datastore/model/errors";
import { writeFileAtomic } from "../platform/atomic-file";

export const webhookUrlSchema = z
  .string()
  .max(2048, "a webhook URL has at most 2048 characters")
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === "http:" || u.protocol === "https:";
    } catch {
      return false;
    }
  }, "a webhook URL is an absolute http:// or https:// URL");

const notifySchema = z.object({ webhook: webhookUrlSchema.optional() }).strict();
export type NotifyConfig = z.infer<typeof notifySchema>;

export async function readNotifyConfig(): Promise<NotifyConfig> {
  try {
    return notifySchema.parse(JSON.parse(await fs.readFile(paths.jobNotifyConfig(), "utf8")));
  } catch (err) {
    if (isErrno(err, "ENOENT")) return {};
    throw new CofferError("INTERNAL", `invalid job notification config ${JSON.stringify(paths.jobNotifyConfig())} - ${(err as Error).message}`);
  }
}

/** Sets the webhook, or removes it with `undefined`. BAD_REQUEST for anything but an http(s) URL. */
export async function setWebhook(url: string | undefined): Promise<NotifyConfig> {
  if (url !== undefined) {
    const r = webhookUrlSchema.safeParse(url);
    if (!r.success) throw new CofferError("BAD_REQUEST", `invalid webhook '${url}': ${r.error.issues[0]!.message}`);
  }
  const config: NotifyConfig = url === undefined ? {} : { webhook: url };
  await fs.mkdir(paths.etc(), { recursive: true, mode: 0o700 });
  // One small file with one field: replaced whole, a lock would guard nothing a rename does not.
  await writeFileAtomic(paths.jobNotifyConfig(), `${JSON.stringify(config, null, 2)}\n`, 0o600);
  return config;
}

/** What a webhook receives for a failed run. */
export interface JobFailureNotice {
  event: "job-failed";
  "job-type": string;
  "job-id": string;
  store: string;
  upid: string;
  /** The task's end: the error message, or `unknown` when its process died. */
  status: string;
  endtime: number;
}

const POST_TIMEOUT_MS = 10_000;

/** Posts the notice; rejects with what went wrong (status or network error). */
export async function postNotice(url: string, notice: JobFailureNotice): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(notice),
    signal: AbortSignal.timeout(POST_TIMEOUT_MS),
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`webhook answered ${res.status} ${res.statusText}`);
}
