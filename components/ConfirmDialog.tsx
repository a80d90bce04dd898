"use client";
/**
 * Asks before something destructive happens and names what goes. Focus starts on Cancel, so an
 * Enter typed too early does not delete anything; the failure, if any, stays in the dialog.
 */
import { useRef, useState, type ReactNode } from "react";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { Spinner } from "./Spinner";

export function ConfirmDialog({
  open,
  onClose,
  title,
  description,
  children,
  confirmLabel,
  onConfirm,
  onDone,
}: {
  open: boolean;
  onClose(): void;
  title: string;
  description?: ReactNode;
  /** What exactly goes, and what stays. */
  children?: ReactNode;
  confirmLabel: string;
  onConfirm(): Promise<unknown>;
  /** After a confirmed action succeeded or failed (the content may have changed either way). */
  onDone?(): void;
}) {
  const cancel = useRef<HTMLButtonElement>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirm = async () => {
    setPending(true);
    setError(null);
    try {
      await onConfirm();
      onDone?.();
      onClose();
    } catch (err) {
      setError(err);
      onDone?.();
    } finally {
      setPending(false);
    }
  };
  return (
    <Dialog
      open={open}
      onOpenChange={(o) => !o && onClose()}
      title={title}
      description={description}
      onOpenAutoFocus={(e) => {
        e.preventDefault();
        cancel.current?.focus();
      }}
    >
      {children}
      {error ? <ActionError title={`${confirmLabel} failed`} error={error} /> : null}
      <DialogFooter>
        <DialogClose className="button" ref={cancel}>
          {error ? "Close" : "Cancel"}
        </DialogClose>
        <button type="button" className="button button--danger-solid" onClick={confirm} disabled={pending}>
          {pending ? <Spinner label="Working" /> : null}
          {confirmLabel}
        </button>
      </DialogFooter>
    </Dialog>
  );
}
