"use client";
/**
 * The console's one modal dialog, on Radix Dialog (focus trap, Escape, the title
 * as the dialog's accessible name). Every dialog (Move Group, Move Namespace, Maintenance Mode,
 * Task Viewer) is built from it so that they look and behave alike:
 *
 *   <Dialog open={open} onOpenChange={setOpen} title="Maintenance Mode" description="...">
 *     <form> ... <DialogFooter><DialogClose className="button">Cancel</DialogClose> ...</DialogFooter></form>
 *   </Dialog>
 *
 * `description` becomes aria-describedby; without it no description is announced. On close the
 * focus goes back to where it was when the dialog opened (focus-origin.ts), also when a menu
 * item opened it: then to the menu's button.
 */
import * as RadixDialog from "@radix-ui/react-dialog";
import { Spinner } from "./Spinner";
import { type ReactNode, useLayoutEffect, useRef } from "react";
import { currentFocusOrigin, trackFocusOrigin } from "./focus-origin";
import { Icon } from "./Icon";

trackFocusOrigin();

export interface DialogProps {
  open: boolean;
  onOpenChange(open: boolean): void;
  /** The dialog's name (DESIGN.md 10: `Maintenance Mode`, `Task Viewer ...`). */
  title: ReactNode;
  /** One or two sentences under the title, announced with it. */
  description?: ReactNode;
  /** `wide` for content such as a task log or a move plan. */
  size?: "default" | "wide";
  children: ReactNode;
  /** Where focus goes on open; default: Radix's (the first focusable element). */
  onOpenAutoFocus?: (event: Event) => void;
}

export function Dialog({ open, onOpenChange, title, description, size = "default", children, onOpenAutoFocus }: DialogProps) {
  // Taken before Radix moves the focus into the dialog (its own effect runs after layout effects).
  const returnTo = useRef<HTMLElement | null>(null);
  useLayoutEffect(() => {
    if (open) returnTo.current = currentFocusOrigin();
  }, [open]);
  const onCloseAutoFocus = (event: Event) => {
    const origin = returnTo.current;
    returnTo.current = null;
    if (origin?.isConnected) {
      event.preventDefault();
      origin.focus();
    }
  };
  return (
    <RadixDialog.Root open={open} onOpenChange={onOpenChange}>
      <RadixDialog.Portal>
        <RadixDialog.Overlay className="dialog-overlay" />
        <RadixDialog.Content
          className={size === "wide" ? "dialog dialog--wide" : "dialog"}
          // Radix warns when there is no description unless told explicitly that there is none.
          {...(description ? {} : { "aria-describedby": undefined })}
          onOpenAutoFocus={onOpenAutoFocus}
          onCloseAutoFocus={onCloseAutoFocus}
        >
          <div className="dialog__header">
            <RadixDialog.Title className="dialog__title">{title}</RadixDialog.Title>
            <RadixDialog.Close className="dialog__close" aria-label="Close dialog">
              <Icon name="close" />
            </RadixDialog.Close>
          </div>
          {description ? <RadixDialog.Description className="dialog__description">{description}</RadixDialog.Description> : null}
          <div className="dialog__body">{children}</div>
        </RadixDialog.Content>
      </RadixDialog.Portal>
    </RadixDialog.Root>
  );
}

/** The row of buttons at the bottom of a dialog, primary action last. */
export function DialogFooter({ children }: { children: ReactNode }) {
  return <div className="dialog__footer">{children}</div>;
}

/** Closes the dialog it is in (for Cancel buttons). */
export const DialogClose = RadixDialog.Close;

/** Cancel and a Save submit button that shows a spinner while `pending`, for form dialogs. */
export function SaveFooter({ pending, disabled = false }: { pending: boolean; disabled?: boolean }) {
  return (
    <DialogFooter>
      <DialogClose className="button">Cancel</DialogClose>
      <button type="submit" className="button button--primary" disabled={pending || disabled}>
        {pending ? <Spinner label="Saving" /> : null}
        Save
      </button>
    </DialogFooter>
  );
}
