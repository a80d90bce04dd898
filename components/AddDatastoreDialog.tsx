"use client";
/**
 * Add datastore (PBS's Add Datastore, `coffer datastore create`): a new, empty datastore at a
 * path (or in Coffer's state directory), or an existing PBS datastore attached without changing
 * it. Every field is checked with the server's own rules as it is typed, and says what is allowed.
 */
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { checkDatastoreComment, checkDatastorePath, MAX_DATASTORE_COMMENT_LENGTH } from "@/server/datastore/model/datastore-create";
import { checkDatastoreName } from "@/server/datastore/model/names";
import { DEFAULT_COMPRESSION_LEVEL } from "@/server/datastore/model/compression";
import { checkBucketName, checkS3Endpoint, checkS3Region, DEFAULT_S3_REGION } from "@/server/datastore/model/s3";
import { ActionError } from "./ActionError";
import { CompressionFields, compressionLevelProblem } from "./CompressionDialog";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { problemOf } from "./FieldProblem";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";
import "./content.css";

/** The form's problems by field, with the engine's wording; empty when it can be sent. */
export function addDatastoreProblems(v: {
  name: string;
  path: string;
  reuse: boolean;
  comment: string;
  s3?: boolean;
  endpoint?: string;
  bucket?: string;
  region?: string;
  compression?: "zstd" | "none";
  level?: string;
}) {
  return {
    name: v.name === "" ? "Enter a name: 3 to 32 characters of A-Z a-z 0-9 _ . - (not starting with . or -)." : problemOf(() => checkDatastoreName(v.name)),
    path:
      v.path === ""
        ? v.s3
          ? "Enter the local cache directory: an absolute path of an empty or new directory."
          : v.reuse
            ? "Enter the directory of the existing datastore (the one that holds its .chunks)."
            : undefined
        : problemOf(() => checkDatastorePath(v.path)),
    comment: v.comment === "" ? undefined : problemOf(() => checkDatastoreComment(v.comment)),
    endpoint: !v.s3 ? undefined : v.endpoint ? problemOf(() => checkS3Endpoint(v.endpoint!)) : "Enter the endpoint URL, e.g. https://s3.example.net.",
    bucket: !v.s3 ? undefined : v.bucket ? problemOf(() => checkBucketName(v.bucket!)) : "Enter the bucket name (it is created when missing).",
    region: !v.s3 || !v.region ? undefined : problemOf(() => checkS3Region(v.region!)),
    level: v.compression !== "zstd" || v.level === undefined ? undefined : compressionLevelProblem(v.level),
  };
}

export function AddDatastoreDialog({ onClose, onCreated }: { onClose(): void; onCreated(name: string): void }) {
  const trpc = useTRPC();
  const id = useId();
  const [form, setForm] = useState({
    name: "",
    path: "",
    reuse: false,
    comment: "",
    s3: false,
    endpoint: "",
    bucket: "",
    region: "",
    pathStyle: true,
    compression: "zstd" as "zstd" | "none",
    level: String(DEFAULT_COMPRESSION_LEVEL),
  });
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const create = useMutation(trpc.datastore.create.mutationOptions());
  const problems = addDatastoreProblems(form);
  const invalid = Object.values(problems).some(Boolean);
  const shown = (k: keyof typeof problems) => (touched[k] ? problems[k] : undefined);
  // Disabled only while a problem is on screen beside its field, which says why.
  const shownProblem = (["name", "path", "comment", "endpoint", "bucket", "region", "level"] as const).some((k) => shown(k));

  const set = <K extends keyof typeof form>(k: K, v: (typeof form)[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    setTouched((t) => ({ ...t, [k]: true }));
    create.reset(); // an error about what was sent before no longer applies
  };

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched({ name: true, path: true, comment: true, endpoint: true, bucket: true, region: true, level: true });
    if (invalid) return;
    try {
      const made = await create.mutateAsync({
        name: form.name,
        ...(form.path ? { path: form.path } : {}),
        reuse: form.reuse,
        ...(form.comment ? { comment: form.comment } : {}),
        ...(form.s3
          ? { s3: { endpoint: form.endpoint, bucket: form.bucket, pathStyle: form.pathStyle, ...(form.region ? { region: form.region } : {}) } }
          : {}),
        // Defaults are left unset in the config, so that they follow Coffer's default.
        ...(form.compression === "none" ? { compression: "none" } : {}),
        ...(form.compression === "zstd" && Number(form.level) !== DEFAULT_COMPRESSION_LEVEL ? { compressionLevel: Number(form.level) } : {}),
      });
      onCreated(made.name);
      onClose();
    } catch {
      // shown below
    }
  };

  const field = (k: keyof typeof problems, label: string, hint: string, input: React.ReactNode) => (
    <div className="field">
      <label className="field__label" htmlFor={`${id}-${k}`}>
        {label}
      </label>
      {input}
      <p className="field__hint" id={`${id}-${k}-hint`}>
        {shown(k) ? <span className="field__error">{shown(k)}</span> : hint}
      </p>
    </div>
  );
  const inputProps = (k: Exclude<keyof typeof problems, never>) => ({
    id: `${id}-${k}`,
    className: "input",
    autoComplete: "off",
    spellCheck: false,
    value: form[k] as string,
    "aria-invalid": shown(k) ? true : undefined,
    "aria-describedby": `${id}-${k}-hint`,
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => set(k, e.target.value),
  });

  return (
    <Dialog
      open
      onOpenChange={(o) => !o && !create.isPending && onClose()}
      title="Add datastore"
      description="A new, empty datastore, or an existing Proxmox Backup Server datastore attached as it is."
    >
      <form onSubmit={submit} className="dialog-form" noValidate>
        {field("name", "Name", "3 to 32 characters of A-Z a-z 0-9 _ . - (not starting with . or -).", <input {...inputProps("name")} autoFocus />)}
        <fieldset className="field">
          <legend className="field__label">Backend</legend>
          <label className="check">
            <input type="radio" name={`${id}-backend`} checked={!form.s3} onChange={() => set("s3", false)} />
            Local directory
          </label>
          <label className="check">
            <input type="radio" name={`${id}-backend`} checked={form.s3} onChange={() => set("s3", true)} />
            S3 object store (with a local cache)
          </label>
        </fieldset>
        {form.s3 ? (
          <>
            {field("endpoint", "Endpoint", "The S3 endpoint URL. Credentials come from the server's environment or its etc/s3-credentials.json, never from this form.", <input {...inputProps("endpoint")} placeholder="https://s3.example.net" />)}
            {field("bucket", "Bucket", "3 to 63 lowercase letters, digits, '.' or '-'; created when missing.", <input {...inputProps("bucket")} />)}
            {field("region", "Region", `Optional; default ${DEFAULT_S3_REGION}.`, <input {...inputProps("region")} placeholder={DEFAULT_S3_REGION} />)}
            <label className="check check--wrap">
              <input type="checkbox" checked={form.pathStyle} onChange={(e) => set("pathStyle", e.target.checked)} />
              Path-style requests (most self-hosted stores need them)
            </label>
          </>
        ) : null}
        <label className="check check--wrap">
          <input type="checkbox" checked={form.reuse} onChange={(e) => set("reuse", e.target.checked)} />
          {form.s3 ? "Attach the datastore already in this bucket (rebuilds the cache)" : "Attach an existing PBS datastore (changes nothing in it)"}
        </label>
        {field(
          "path",
          form.s3 ? "Cache directory" : form.reuse ? "Path of the existing datastore" : "Path",
          form.s3
            ? "The local cache: an absolute path of an empty or new directory, e.g. /var/cache/coffer/store1."
            : form.reuse
              ? "The absolute path of the directory that holds its .chunks. Stop PBS on it first: Coffer's locks do not interlock with a running PBS."
              : "An absolute path of an empty or new directory, e.g. /srv/coffer/store1. Leave it empty for datastores/NAME in Coffer's state directory.",
          <input {...inputProps("path")} placeholder={form.s3 ? "/var/cache/coffer/store1" : form.reuse ? "/mnt/datastore/store1" : "default location"} />,
        )}
        {field("comment", "Comment", `Optional, one line of at most ${MAX_DATASTORE_COMMENT_LENGTH} characters.`, <input {...inputProps("comment")} />)}
        <CompressionFields
          id={id}
          legend="Compression of new chunks"
          type={form.compression}
          level={form.level}
          problem={shown("level")}
          onType={(t) => set("compression", t)}
          onLevel={(v) => set("level", v)}
        />
        {create.isPending && !form.reuse ? (
          <p className="field__hint" role="status">
            <Spinner /> Creating the chunk store (65,536 directories)…
          </p>
        ) : null}
        {create.error ? <ActionError title="Could not add the datastore" error={create.error} /> : null}
        <DialogFooter>
          <DialogClose className="button" disabled={create.isPending}>
            Cancel
          </DialogClose>
          <button type="submit" className="button button--primary" disabled={create.isPending || shownProblem}>
            {create.isPending ? <Spinner label="Adding" /> : null}
            {form.reuse ? "Attach" : "Create"}
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
