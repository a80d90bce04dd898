"use client";
/**
 * Remove a datastore (PBS's Remove with its typed-name confirmation, `coffer datastore remove`):
 * Coffer forgets it and its data stays where it is, unless the admin chooses to destroy the data.
 * The name must be typed before Remove is possible; focus starts on the name field, never on Remove.
 */
import * as RadioGroup from "@radix-ui/react-radio-group";
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";
import "./content.css";

type Keep = "keep" | "destroy";

export function RemoveDatastoreDialog({
  store,
  path,
  onClose,
  onRemoved,
}: {
  store: string;
  /** Empty when the caller may not see it (no Datastore.Audit on the store). */
  path: string;
  onClose(): void;
  onRemoved(): void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const [typed, setTyped] = useState("");
  const [data, setData] = useState<Keep>("keep");
  const remove = useMutation(trpc.datastore.remove.mutationOptions());
  const confirmed = typed === store;
  const where = path ? <code>{path}</code> : "its directory";

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!confirmed) return;
    try {
      await remove.mutateAsync({ store, destroyData: data === "destroy" });
      onRemoved();
      onClose();
    } catch {
      // shown below
    }
  };

  return (
    <Dialog
      open
      onOpenChange={(o) => !o && !remove.isPending && onClose()}
      title={`Remove datastore ${store}`}
      description="Coffer forgets the datastore: it leaves the list, and its tasks' history stays."
    >
      <form onSubmit={submit} className="dialog-form" noValidate>
        <div className="field">
          <span className="field__label" id={`${id}-data`}>
            Data
          </span>
          <RadioGroup.Root
            className="radio-group"
            aria-labelledby={`${id}-data`}
            value={data}
            onValueChange={(v) => {
              setData(v as Keep);
              remove.reset();
            }}
          >
            {(
              [
                ["keep", "Keep the data", <>Everything stays in {where}; it can be attached again later (Add datastore, Attach).</>],
                ["destroy", "Destroy the data", <>Deletes {where} with every snapshot and chunk in it, for good.</>],
              ] as const
            ).map(([value, label, description]) => (
              <div key={value} className="radio-option">
                <RadioGroup.Item className="radio" value={value} id={`${id}-${value}`} aria-describedby={`${id}-${value}-desc`}>
                  <RadioGroup.Indicator className="radio__dot" />
                </RadioGroup.Item>
                <div>
                  <label className="radio-option__label" htmlFor={`${id}-${value}`}>
                    {label}
                  </label>
                  <p className="field__hint" id={`${id}-${value}-desc`}>
                    {description}
                  </p>
                </div>
              </div>
            ))}
          </RadioGroup.Root>
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-confirm`}>
            Type the datastore&apos;s name to confirm
          </label>
          <input
            id={`${id}-confirm`}
            className="input"
            value={typed}
            autoFocus
            autoComplete="off"
            spellCheck={false}
            placeholder={store}
            aria-describedby={`${id}-confirm-hint`}
            onChange={(e) => {
              setTyped(e.target.value);
              remove.reset();
            }}
          />
          <p className="field__hint" id={`${id}-confirm-hint`}>
            {confirmed ? "Confirmed." : <>Type <strong>{store}</strong> to enable Remove.</>}
          </p>
        </div>
        {remove.error ? <ActionError title="Could not remove the datastore" error={remove.error} /> : null}
        <DialogFooter>
          <DialogClose className="button" disabled={remove.isPending}>
            Cancel
          </DialogClose>
          <button type="submit" className="button button--danger-solid" disabled={!confirmed || remove.isPending}>
            {remove.isPending ? <Spinner label="Removing" /> : null}
            {data === "destroy" ? "Remove and destroy data" : "Remove"}
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
