"use client";
/**
 * My account > Password: the current password, the new one twice. The server checks the
 * current one (wrong guesses count as failed logins); on success every other session of the
 * user ends and this browser keeps a fresh one. Each field says what is wrong beside itself;
 * a server error clears as soon as the input changes.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { PASSWORD_RULE, passwordProblem } from "@/server/datastore/model/credentials";
import { ActionError } from "./ActionError";
import { cofferData } from "./explainError";
import { FieldProblem } from "./FieldProblem";
import { useTRPC } from "./TrpcProvider";

interface ErrorLike {
  message?: string;
  data?: { code?: string } | null;
}

/** The server's answer, said for this form: which field it is about, in plain words. */
function explain(error: unknown): { field?: "current"; message: string } {
  const code = (error as ErrorLike | null)?.data?.code;
  if (code === "FORBIDDEN" && /current password/.test((error as ErrorLike).message ?? "")) {
    return { field: "current", message: "The current password is not right." };
  }
  if (code === "TOO_MANY_REQUESTS") {
    const secs = cofferData(error)?.retryAfterSeconds;
    return { field: "current", message: `Too many wrong passwords. Try again in ${secs ?? "a few"} s.` };
  }
  return { message: (error as ErrorLike | null)?.message ?? String(error) };
}

export function ChangePasswordForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const [touched, setTouched] = useState({ next: false, confirm: false });
  const change = useMutation(
    trpc.account.changePassword.mutationOptions({
      // The other sessions are gone from the list now.
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.account.sessions.queryKey() }),
    }),
  );

  const nextProblem = (touched.next || submitted) && next !== "" ? passwordProblem(next) : submitted && next === "" ? `Enter a new password: ${PASSWORD_RULE}.` : undefined;
  const confirmProblem =
    (touched.confirm || submitted) && confirm !== next ? (confirm === "" ? "Type the new password again." : "The two new passwords differ: type the same one twice.") : undefined;
  const currentMissing = submitted && current === "" ? "Enter your current password." : undefined;
  const server = change.error ? explain(change.error) : undefined;
  const currentProblem = currentMissing ?? (server?.field === "current" ? server.message : undefined);

  // Typing again makes an old refusal stale.
  const edit = (set: (v: string) => void) => (value: string) => {
    set(value);
    if (change.error || change.isSuccess) change.reset();
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (current === "" || passwordProblem(next) || confirm !== next) return;
    change.mutate(
      { currentPassword: current, newPassword: next },
      {
        onSuccess: () => {
          setCurrent("");
          setNext("");
          setConfirm("");
          setSubmitted(false);
          setTouched({ next: false, confirm: false });
        },
      },
    );
  };

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <div className="panel__toolbar">
        <h2 className="panel__title" id={`${id}-title`}>
          Password
        </h2>
      </div>
      <form className="account__form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-current`}>
            Current password
          </label>
          <input
            id={`${id}-current`}
            className="input"
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => edit(setCurrent)(e.target.value)}
            aria-invalid={currentProblem ? true : undefined}
            aria-describedby={currentProblem ? `${id}-current-msg` : undefined}
          />
          <FieldProblem id={`${id}-current-msg`} problem={currentProblem} alert={currentProblem !== currentMissing} />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-new`}>
            New password
          </label>
          <input
            id={`${id}-new`}
            className="input"
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => edit(setNext)(e.target.value)}
            onBlur={() => setTouched((t) => ({ ...t, next: true }))}
            aria-invalid={nextProblem ? true : undefined}
            aria-describedby={`${id}-new-msg`}
          />
          <FieldProblem id={`${id}-new-msg`} problem={nextProblem} hint={`${PASSWORD_RULE}. Changing it logs you out everywhere else.`} />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-confirm`}>
            Confirm new password
          </label>
          <input
            id={`${id}-confirm`}
            className="input"
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => edit(setConfirm)(e.target.value)}
            onBlur={() => setTouched((t) => ({ ...t, confirm: true }))}
            aria-invalid={confirmProblem ? true : undefined}
            aria-describedby={confirmProblem ? `${id}-confirm-msg` : undefined}
          />
          <FieldProblem id={`${id}-confirm-msg`} problem={confirmProblem} />
        </div>
        {server && !server.field ? <ActionError title="Could not change the password" error={change.error} /> : null}
        <div className="account__actions">
          <button type="submit" className="button button--primary" disabled={change.isPending}>
            Change password
          </button>
          {change.isSuccess ? (
            <p className="account__success" role="status">
              Password changed. Your other sessions have ended; this one stays logged in.
            </p>
          ) : null}
        </div>
      </form>
    </section>
  );
}
