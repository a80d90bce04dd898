"use client";
/**
 * Change owner of a backup group (PBS change-owner). With Datastore.Modify any active user or
 * token may become the owner; an owner with only Datastore.Backup may pass the group only between
 * themselves and their own tokens (PBS). Who can be chosen comes from the user and token lists
 * when the caller may read them (Sys.Audit or Permissions.Modify on /access/users); otherwise
 * the new owner is typed, checked for the auth id's form here and for existence by the server.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import type { GroupRef } from "@/server/datastore/model/names";
import { isValidAuthId, LOCAL_ROOT } from "@/server/datastore/model/owner";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { inNamespace } from "./format";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";
import { usePermissions } from "./usePermissions";
import { useSession } from "./useSession";

interface Account {
  id: string;
  enable: boolean;
  expire: number;
}

const active = (a: Account, now: number) => a.enable && (a.expire === 0 || a.expire > now);

/** Why `value` cannot be sent as the new owner; undefined when it can. */
export function newOwnerProblem(value: string, current: string | undefined): string | undefined {
  if (value === "") return "Choose the new owner.";
  if (!isValidAuthId(value)) return "Enter a user (user@realm, e.g. alice@pbs) or an API token (user@realm!name).";
  if (value === current) return `${value} already owns this group.`;
  return undefined;
}

export function ChangeOwnerDialog({
  store,
  ns,
  group,
  owner,
  limitedToOwn,
  onClose,
  onChanged,
}: {
  store: string;
  ns: string;
  group: GroupRef;
  owner: string | undefined;
  /** The caller may change it only as its owner (Datastore.Backup): to themselves or their own tokens. */
  limitedToOwn: boolean;
  onClose(): void;
  onChanged(): void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const { authId } = useSession();
  const now = Math.floor(Date.now() / 1000);
  const users = usePermissions("/access/users");
  const mayList = !limitedToOwn && users.has("Sys.Audit", "Permissions.Modify");
  const isToken = authId?.includes("!") ?? false;
  const allUsers = useQuery({ ...trpc.user.list.queryOptions(), enabled: mayList });
  const allTokens = useQuery({ ...trpc.token.list.queryOptions({ all: true }), enabled: mayList });
  // Everybody may list their own tokens (a token may not list any).
  const ownTokens = useQuery({ ...trpc.token.list.queryOptions({}), enabled: limitedToOwn && !isToken });

  let choices: { users: string[]; tokens: string[] } | undefined;
  if (mayList && allUsers.data && allTokens.data) {
    choices = {
      users: [LOCAL_ROOT, ...allUsers.data.map((u) => ({ id: u.userid, enable: u.enable, expire: u.expire })).filter((a) => active(a, now)).map((a) => a.id)],
      tokens: allTokens.data.map((t) => ({ id: t.tokenid, enable: t.enable, expire: t.expire })).filter((a) => active(a, now)).map((a) => a.id),
    };
  } else if (limitedToOwn && authId && !isToken && ownTokens.data) {
    choices = { users: [authId], tokens: ownTokens.data.filter((t) => active({ id: t.tokenid, ...t }, now)).map((t) => t.tokenid) };
  }
  const loadingChoices = (!limitedToOwn && users.loading) || (mayList && (allUsers.isPending || allTokens.isPending)) || (limitedToOwn && !isToken && ownTokens.isPending);

  const [value, setValue] = useState("");
  const [touched, setTouched] = useState(false);
  const change = useMutation(trpc.group.setOwner.mutationOptions());
  const problem = newOwnerProblem(value.trim(), owner);
  const showProblem = touched && problem;
  const name = `${group.type}/${group.id}`;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (problem) return;
    try {
      await change.mutateAsync({ store, ns, group, owner: value.trim() });
      onChanged();
      onClose();
    } catch {
      // shown below
    }
  };
  const onValue = (v: string) => {
    setValue(v);
    setTouched(true);
    change.reset(); // a server error about the previous choice no longer applies
  };

  const hint = limitedToOwn
    ? "As its owner you may hand it only to yourself or one of your own API tokens."
    : choices
      ? "Active users and API tokens."
      : "A user (user@realm) or an API token (user@realm!name); it must exist and be enabled.";

  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      title={`Change owner ${name}`}
      description={`Group ${name}${inNamespace(ns)} of ${store}. Its owner may back it up and, with Datastore.Backup or Prune only, is the only one who sees it.`}
    >
      <form onSubmit={submit} className="dialog-form" noValidate>
        <p className="dialog__text">
          Current owner: <strong>{owner ?? "none"}</strong>
        </p>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-owner`}>
            New owner
          </label>
          {loadingChoices ? (
            <Spinner label="Loading users and tokens" />
          ) : choices ? (
            <select
              id={`${id}-owner`}
              className="input"
              value={value}
              autoFocus
              aria-invalid={showProblem ? true : undefined}
              aria-describedby={`${id}-hint`}
              onChange={(e) => onValue(e.target.value)}
            >
              <option value="">Choose…</option>
              <optgroup label="Users">
                {choices.users.map((u) => (
                  <option key={u} value={u} disabled={u === owner}>
                    {u}
                    {u === owner ? " (current owner)" : ""}
                  </option>
                ))}
              </optgroup>
              {choices.tokens.length > 0 ? (
                <optgroup label="API tokens">
                  {choices.tokens.map((t) => (
                    <option key={t} value={t} disabled={t === owner}>
                      {t}
                      {t === owner ? " (current owner)" : ""}
                    </option>
                  ))}
                </optgroup>
              ) : null}
            </select>
          ) : (
            <input
              id={`${id}-owner`}
              className="input"
              value={value}
              autoFocus
              autoComplete="off"
              spellCheck={false}
              maxLength={128}
              placeholder="user@realm or user@realm!token"
              aria-invalid={showProblem ? true : undefined}
              aria-describedby={`${id}-hint`}
              onChange={(e) => onValue(e.target.value)}
            />
          )}
          <p className="field__hint" id={`${id}-hint`}>
            {showProblem ? <span className="field__error">{problem}</span> : hint}
          </p>
        </div>
        {change.error ? <ActionError title="Could not change the owner" error={change.error} /> : null}
        <DialogFooter>
          <DialogClose className="button">Cancel</DialogClose>
          <button type="submit" className="button button--primary" disabled={change.isPending || (touched && !!problem)}>
            {change.isPending ? <Spinner label="Changing" /> : null}
            Change owner
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
