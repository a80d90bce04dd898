"use client";
/** Creates a namespace below `parent`, checking the name at the field with the engine's rules. */
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { BackupNamespace, MAX_NAMESPACE_COMPONENT_LENGTH } from "@/server/datastore/model/names";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";

/** The engine's checks for a new namespace `parent/name`; the message, or undefined when fine. */
export function namespaceNameProblem(parent: string, name: string): string | undefined {
  if (name.length === 0) return "Enter a name.";
  if (name.length > MAX_NAMESPACE_COMPONENT_LENGTH) return `At most ${MAX_NAMESPACE_COMPONENT_LENGTH} characters.`;
  try {
    BackupNamespace.parse(parent).push(name);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export function CreateNamespaceDialog({
  store,
  parent,
  onClose,
  onCreated,
}: {
  store: string;
  parent: string;
  onClose(): void;
  onCreated(ns: string): void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const [name, setName] = useState("");
  const [touched, setTouched] = useState(false);
  const create = useMutation(trpc.namespace.create.mutationOptions());
  const problem = namespaceNameProblem(parent, name);
  const showProblem = touched && problem;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (problem) return;
    try {
      const { ns } = await create.mutateAsync({ store, parent, name });
      onCreated(ns);
      onClose();
    } catch {
      // shown below
    }
  };

  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      title="Create namespace"
      description={parent === "" ? "A new namespace in the root namespace." : `A new namespace inside ${parent}.`}
    >
      <form onSubmit={submit} className="dialog-form" noValidate>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-name`}>
            Name
          </label>
          <input
            id={`${id}-name`}
            className="input"
            value={name}
            autoFocus
            autoComplete="off"
            spellCheck={false}
            aria-invalid={showProblem ? true : undefined}
            aria-describedby={`${id}-hint`}
            onChange={(e) => {
              setName(e.target.value);
              setTouched(true);
            }}
          />
          <p className="field__hint" id={`${id}-hint`}>
            {showProblem ? <span className="field__error">{problem}</span> : `Letters, digits, _ . - (not first); up to ${MAX_NAMESPACE_COMPONENT_LENGTH} characters.`}
          </p>
        </div>
        {create.error ? <ActionError title="Could not create the namespace" error={create.error} /> : null}
        <DialogFooter>
          <DialogClose className="button">Cancel</DialogClose>
          <button type="submit" className="button button--primary" disabled={create.isPending || (touched && !!problem)}>
            {create.isPending ? <Spinner label="Creating" /> : null}
            Create
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
