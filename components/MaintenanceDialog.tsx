"use client";
/**
 * The Maintenance Mode dialog (PBS "Edit: Maintenance mode", DESIGN.md 10): a `Mode` choice of
 * None / Read-only / Offline, each explained, and a `Message` for the people whose operations
 * will be refused. The message is checked at the field with the engine's own rules (shared zod
 * schema) before anything is sent.
 */
import * as RadioGroup from "@radix-ui/react-radio-group";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { MAX_MAINTENANCE_MESSAGE_LENGTH } from "@/server/datastore/model/maintenance";
import { maintenanceMessageSchema } from "@/server/datastore/model/schemas";
import type { ActiveOperationCounts, MaintenanceType } from "@/server/datastore/model/types";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { ErrorMessage } from "./ErrorMessage";
import { useTRPC } from "./TrpcProvider";
import { datastorePath, usePermissions } from "./usePermissions";

type Choice = "none" | "read-only" | "offline";

const CHOICES: { value: Choice; label: string; description: string }[] = [
  { value: "none", label: "None", description: "Normal operation: backups, restores and changes all work." },
  {
    value: "read-only",
    label: "Read-only",
    description:
      "Browsing, restores and verification keep working; backups, moves, prune, garbage collection and other changes are refused. Operations already running finish.",
  },
  {
    value: "offline",
    label: "Offline",
    description:
      "Nothing can read or change the datastore, so its disks can be worked on. Operations already running finish; new ones are refused.",
  },
];

export interface MaintenanceDialogProps {
  store: string;
  open: boolean;
  onOpenChange(open: boolean): void;
  current: { mode: MaintenanceType | null; message: string | null };
  /** The live counts, if known, to say what the new mode means right now. */
  counts?: ActiveOperationCounts;
}

/** The engine's message check, as the field shows it. */
export function messageProblem(message: string): string | undefined {
  const r = maintenanceMessageSchema.safeParse(message);
  return r.success ? undefined : r.error.issues[0]?.message;
}

/** What the chosen mode means for what runs right now. */
function drainText(store: string, mode: "read-only" | "offline", counts: ActiveOperationCounts): string {
  const conflicting = mode === "read-only" ? counts.write : counts.read + counts.write;
  if (conflicting === 0) return `No ${mode === "read-only" ? "write " : ""}operation is running on '${store}' right now.`;
  const what =
    mode === "read-only"
      ? `${conflicting} write operation${conflicting === 1 ? "" : "s"}`
      : `${conflicting} operation${conflicting === 1 ? "" : "s"} (${counts.read} read, ${counts.write} write)`;
  return `${what} still running on '${store}' will finish; new ones will be refused.`;
}

export function MaintenanceDialog({ store, open, onOpenChange, current, counts }: MaintenanceDialogProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const messageRef = useRef<HTMLInputElement>(null);
  const modeRef = useRef<HTMLDivElement>(null);
  const systemMode = current.mode !== null && current.mode !== "read-only" && current.mode !== "offline";
  const initialChoice: Choice = current.mode === "read-only" || current.mode === "offline" ? current.mode : "none";
  const [choice, setChoice] = useState<Choice>(initialChoice);
  const [message, setMessage] = useState(current.message ?? "");
  const [touched, setTouched] = useState(false);
  const cannotSave = usePermissions(datastorePath(store)).missing("change the maintenance mode", "Datastore.Modify");

  const save = useMutation(
    trpc.maintenance.set.mutationOptions({
      onSuccess: (state) => {
        queryClient.setQueryData(trpc.maintenance.get.queryKey({ store }), state);
        void queryClient.invalidateQueries({ queryKey: trpc.datastore.pathKey() });
        onOpenChange(false);
      },
    }),
  );

  // Every opening starts from the store's current state.
  useEffect(() => {
    if (!open) return;
    setChoice(initialChoice);
    setMessage(current.message ?? "");
    setTouched(false);
    save.reset();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only on opening
  }, [open]);

  const problem = choice === "none" ? undefined : messageProblem(message);
  const showProblem = problem !== undefined && (touched || message.length > MAX_MAINTENANCE_MESSAGE_LENGTH);
  const length = [...message].length;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (problem) {
      setTouched(true);
      messageRef.current?.focus();
      return;
    }
    save.mutate({ store, mode: choice, ...(choice !== "none" && message ? { message } : {}) });
  };

  const running = counts && choice !== "none" ? drainText(store, choice, counts) : undefined;

  return (
    <Dialog
      open={open}
      onOpenChange={onOpenChange}
      title="Maintenance Mode"
      description={`Take datastore '${store}' out of normal use, for example while its disks are replaced.`}
      onOpenAutoFocus={(e) => {
        // Start on the current mode, so arrow keys change it at once.
        const checked = modeRef.current?.querySelector<HTMLElement>('[role="radio"][data-state="checked"]');
        if (checked) {
          e.preventDefault();
          checked.focus();
        }
      }}
    >
      <form className="maintenance-form" onSubmit={submit} noValidate>
        {systemMode && (
          <p className="alert alert--warning">
            The datastore is in a maintenance state set by Coffer itself ({current.mode}); it ends when that operation does.
          </p>
        )}
        <div className="field">
          <span className="field__label" id={`${id}-mode`}>
            Mode
          </span>
          <RadioGroup.Root
            ref={modeRef}
            className="radio-group"
            aria-labelledby={`${id}-mode`}
            value={choice}
            onValueChange={(v) => setChoice(v as Choice)}
            disabled={systemMode}
          >
            {CHOICES.map((c) => (
              <div key={c.value} className="radio-option">
                <RadioGroup.Item
                  className="radio"
                  value={c.value}
                  id={`${id}-${c.value}`}
                  aria-describedby={`${id}-${c.value}-desc`}
                >
                  <RadioGroup.Indicator className="radio__dot" />
                </RadioGroup.Item>
                <div>
                  <label className="radio-option__label" htmlFor={`${id}-${c.value}`}>
                    {c.label}
                  </label>
                  <p className="field__hint" id={`${id}-${c.value}-desc`}>
                    {c.description}
                  </p>
                </div>
              </div>
            ))}
          </RadioGroup.Root>
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-message`}>
            Message
          </label>
          <input
            ref={messageRef}
            id={`${id}-message`}
            className="input"
            value={message}
            disabled={choice === "none" || systemMode}
            placeholder={choice === "none" ? "Only for read-only or offline" : "e.g. disk replacement until 14:00"}
            aria-invalid={showProblem || undefined}
            aria-describedby={`${id}-message-hint${showProblem ? ` ${id}-message-error` : ""}`}
            onChange={(e) => setMessage(e.target.value)}
            onBlur={() => setTouched(true)}
          />
          <p className="field__hint" id={`${id}-message-hint`}>
            Shown to everyone whose operation is refused. One line, at most {MAX_MAINTENANCE_MESSAGE_LENGTH} characters ({length}/
            {MAX_MAINTENANCE_MESSAGE_LENGTH}).
          </p>
          {showProblem && (
            <p className="field__error" id={`${id}-message-error`} role="alert">
              {problem}
            </p>
          )}
        </div>
        {running && <p className="maintenance-form__now">{running}</p>}
        {save.error && <ErrorMessage title="Could not change the maintenance mode" error={save.error} />}
        {cannotSave ? <p className="alert alert--warning permission-note">{cannotSave}.</p> : null}
        <DialogFooter>
          <DialogClose className="button">Cancel</DialogClose>
          <button type="submit" className="button button--primary" disabled={save.isPending || systemMode || !!cannotSave} title={cannotSave}>
            Save
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
