"use client";
/**
 * Change how a datastore's backups compress new chunks (`coffer datastore update --compression`,
 * the API's datastore.update): zstd at a level, or none. Applies to backups that start afterwards;
 * chunks already written stay as they are, and both kinds are read alike.
 */
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import {
  DEFAULT_COMPRESSION_LEVEL,
  MAX_COMPRESSION_LEVEL,
  MIN_COMPRESSION_LEVEL,
  parseCompressionLevel,
  type CompressionSetting,
} from "@/server/datastore/model/compression";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { FieldProblem, problemOf } from "./FieldProblem";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";
import "./content.css";

/** What is wrong with the level typed, in the server's words; undefined when it can be sent. */
export function compressionLevelProblem(level: string): string | undefined {
  if (level === "") return `Enter a zstd level from ${MIN_COMPRESSION_LEVEL} to ${MAX_COMPRESSION_LEVEL} (default ${DEFAULT_COMPRESSION_LEVEL}).`;
  return problemOf(() => parseCompressionLevel(level));
}

/** The compression radio buttons and, with zstd, the level: shared by Add datastore and this dialog. */
export function CompressionFields(p: {
  id: string;
  legend: string;
  type: CompressionSetting["type"];
  level: string;
  /** The level's problem to show beside it, if any. */
  problem: string | undefined;
  onType(type: CompressionSetting["type"]): void;
  onLevel(level: string): void;
}) {
  return (
    <>
      <fieldset className="field">
        <legend className="field__label">{p.legend}</legend>
        <label className="check check--wrap">
          <input type="radio" name={`${p.id}-compression`} checked={p.type === "zstd"} onChange={() => p.onType("zstd")} />
          zstd, kept only where it makes a chunk smaller (as PBS writes them)
        </label>
        <label className="check check--wrap">
          <input type="radio" name={`${p.id}-compression`} checked={p.type === "none"} onChange={() => p.onType("none")} />
          None: every chunk uncompressed (faster backups, more disk)
        </label>
      </fieldset>
      {p.type === "zstd" ? (
        <div className="field">
          <label className="field__label" htmlFor={`${p.id}-level`}>
            zstd level
          </label>
          <input
            id={`${p.id}-level`}
            className="input input--narrow"
            inputMode="numeric"
            autoComplete="off"
            value={p.level}
            aria-invalid={p.problem ? true : undefined}
            aria-describedby={`${p.id}-level-hint`}
            onChange={(e) => p.onLevel(e.target.value)}
          />
          <FieldProblem
            id={`${p.id}-level-hint`}
            problem={p.problem}
            hint={`${MIN_COMPRESSION_LEVEL} (PBS's, fastest) to ${MAX_COMPRESSION_LEVEL}; default ${DEFAULT_COMPRESSION_LEVEL}. Higher levels store less and back up more slowly.`}
          />
        </div>
      ) : null}
    </>
  );
}

export function CompressionDialog({ store, current, onClose, onChanged }: { store: string; current: CompressionSetting; onClose(): void; onChanged(): void }) {
  const trpc = useTRPC();
  const id = useId();
  const [type, setType] = useState<CompressionSetting["type"]>(current.type);
  const [level, setLevel] = useState(String(current.type === "zstd" ? current.level : DEFAULT_COMPRESSION_LEVEL));
  const update = useMutation(trpc.datastore.update.mutationOptions());
  const problem = type === "zstd" ? compressionLevelProblem(level) : undefined;
  const choose = (t: CompressionSetting["type"]) => {
    setType(t);
    update.reset();
  };

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (problem) return;
    try {
      await update.mutateAsync(type === "none" ? { store, compression: "none" } : { store, compression: "zstd", compressionLevel: Number(level) });
      onChanged();
      onClose();
    } catch {
      // shown below
    }
  };

  return (
    <Dialog
      open
      onOpenChange={(o) => !o && !update.isPending && onClose()}
      title={`Compression of ${store}`}
      description="How backups store new chunks from now on. Chunks already written stay as they are; both kinds are read alike."
    >
      <form onSubmit={submit} className="dialog-form" noValidate>
        <CompressionFields
          id={id}
          legend="New chunks"
          type={type}
          level={level}
          problem={problem}
          onType={choose}
          onLevel={(v) => {
            setLevel(v);
            update.reset(); // an error about what was sent before no longer applies
          }}
        />
        {update.error ? <ActionError title="Could not change the compression" error={update.error} /> : null}
        <DialogFooter>
          <DialogClose className="button" disabled={update.isPending}>
            Cancel
          </DialogClose>
          <button type="submit" className="button button--primary" disabled={update.isPending || problem !== undefined}>
            {update.isPending ? <Spinner label="Saving" /> : null}
            Save
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
