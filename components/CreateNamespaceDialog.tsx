"use client";
/** Creates a namespace below `parent`, checking the name at the field with the engine's rules. */
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { MAX_NAMESPACE_DEPTH } from "@/server/datastore/model/names";
import { NAMESPACE_NAME_RULE, namespaceNameProblem, namespacePathProblem } from "./namespace-input";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";

/** Why `parent/name` cannot be created, in words that say what is allowed (undefined when fine). */
export function newNamespaceProblem(parent: string, name: string): string | undefined {
  const own = namespaceNameProblem(name);
  if (own) return own;
  const depth = parent === "" ? 0 : parent.split("/").length;
  if (depth >= MAX_NAMESPACE_DEPTH) return `${parent} is already ${MAX_NAMESPACE_DEPTH} levels deep, the most there can be: create the namespace higher up.`;
  return namespacePathProblem(parent === "" ? name : `${parent}/${name}`);
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
  const problem = newNamespaceProblem(parent, name);
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
              // An answer about the old name no longer applies.
              if (create.error) create.reset();
            }}
          />
          <p className="field__hint" id={`${id}-hint`}>
            {showProblem ? <span className="field__error">{problem}</span> : `Use ${NAMESPACE_NAME_RULE}.`}
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
