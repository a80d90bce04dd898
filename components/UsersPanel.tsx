"use client";
/**
 * Users of realm pbs (PBS Access > User Management): the list, Add user, Set password,
 * enable/disable and Remove. What the current user may not do is disabled with the reason.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState, type FormEvent } from "react";
import { PASSWORD_RULE, USER_NAME_RULE, passwordProblem, userNameProblem } from "@/server/datastore/model/credentials";
import { ActionError } from "./ActionError";
import { ConfirmDialog } from "./ConfirmDialog";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { ErrorMessage } from "./ErrorMessage";
import { ExplainedButton } from "./ExplainedButton";
import { FieldProblem } from "./FieldProblem";
import { Icon } from "./Icon";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";
import { usePermissions } from "./usePermissions";
import { MissingPrivilege } from "./MissingPrivilege";
import { useSession } from "./useSession";
import "./account.css";

type Editing = { kind: "create" } | { kind: "password"; userid: string } | { kind: "delete"; userid: string } | null;

export function UsersPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { authId } = useSession();
  const perms = usePermissions("/access/users");
  const maySee = perms.has("Sys.Audit", "Permissions.Modify");
  // Asked only once the privileges are known: a user without them gets a note, not a red error.
  const users = useQuery({ ...trpc.user.list.queryOptions(), enabled: maySee });
  const [editing, setEditing] = useState<Editing>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.user.list.queryKey() });
  const update = useMutation(trpc.user.update.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.user.delete.mutationOptions());
  const cannotManage = perms.missing("manage users", "Permissions.Modify");

  return (
    <section className="panel" aria-labelledby="users-title">
      <div className="panel__toolbar">
        <h2 className="panel__title" id="users-title">
          Users
        </h2>
        {perms.loading || maySee ? (
          <ExplainedButton className="button button--primary" onClick={() => setEditing({ kind: "create" })} reason={cannotManage}>
            <Icon name="plus" />
            Add user
          </ExplainedButton>
        ) : null}
      </div>
      {cannotManage && !perms.loading && maySee ? <p className="panel__body muted permission-note">{cannotManage}.</p> : null}
      {update.error ? <ActionError title="Could not change the user" error={update.error} /> : null}
      {!perms.loading && !maySee ? (
        <div className="panel__body panel__body--note">
          <MissingPrivilege what="see the users" privileges={["Sys.Audit", "Permissions.Modify"]} path="/access/users" />
          <p className="muted">
            Your own password, API tokens and sessions are under <Link href="/account">My account</Link>.
          </p>
        </div>
      ) : users.isPending ? (
        <div className="empty-state">
          <Spinner label="Loading users" />
        </div>
      ) : users.isError ? (
        <ErrorMessage title="Could not load the users" error={users.error} />
      ) : (
        <div className="table-wrap">
          <table className="data-table data-table--stack" aria-labelledby="users-title">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Enabled</th>
                <th scope="col">Expires</th>
                <th scope="col">Comment</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.data.map((u) => {
                const self = u.userid === authId;
                const cannotPassword = self ? "Change your own password under My account: it asks for the current one" : cannotManage;
                return (
                  <tr key={u.userid}>
                    <td className="nowrap">
                      {u.userid}
                      {self ? <span className="muted"> (you)</span> : null}
                    </td>
                    <td data-label="Enabled">{u.enable ? "Yes" : <span className="badge badge--warning">Disabled</span>}</td>
                    <td className="nowrap" data-label="Expires">{u.expire === 0 ? <span className="muted">never</span> : new Date(u.expire * 1000).toISOString().slice(0, 10)}</td>
                    <td className="truncate" data-label="Comment">{u.comment}</td>
                    <td className="nowrap data-table__actions">
                      <button type="button" className="link-button" onClick={() => setEditing({ kind: "password", userid: u.userid })} disabled={!!cannotPassword} title={cannotPassword}>
                        Set password
                      </button>{" "}
                      ·{" "}
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => update.mutate({ userid: u.userid, enable: !u.enable })}
                        disabled={!!cannotManage || self}
                        title={cannotManage ?? (self ? "You cannot disable yourself" : undefined)}
                      >
                        {u.enable ? "Disable" : "Enable"}
                      </button>{" "}
                      ·{" "}
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => setEditing({ kind: "delete", userid: u.userid })}
                        disabled={!!cannotManage || self}
                        title={cannotManage ?? (self ? "You cannot remove yourself" : undefined)}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <UserDialog editing={editing} onClose={() => setEditing(null)} onDone={refresh} />
      <ConfirmDialog
        open={editing?.kind === "delete"}
        onClose={() => setEditing(null)}
        title={`Remove user ${editing?.kind === "delete" ? editing.userid : ""}`}
        confirmLabel="Remove"
        onConfirm={() => remove.mutateAsync({ userid: editing?.kind === "delete" ? editing.userid : "" })}
        onDone={refresh}
      >
        <p>The user&apos;s API tokens and permissions are removed with it. Groups they own keep them as owner.</p>
      </ConfirmDialog>
    </section>
  );
}

function UserDialog({ editing, onClose, onDone }: { editing: Editing; onClose(): void; onDone(): void }) {
  const trpc = useTRPC();
  const id = useId();
  const [userid, setUserid] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [comment, setComment] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const [touched, setTouched] = useState({ user: false, password: false, confirm: false });
  const create = useMutation(trpc.user.create.mutationOptions());
  const setPw = useMutation(trpc.user.setPassword.mutationOptions());
  const open = editing?.kind === "create" || editing?.kind === "password";
  const creating = editing?.kind === "create";
  const pending = create.isPending || setPw.isPending;
  const error = creating ? create.error : setPw.error;

  // `alice` means alice@pbs; a realm other than pbs is the server's to refuse, with its reason.
  const trimmed = userid.trim();
  const name = trimmed.includes("@") ? trimmed.slice(0, trimmed.indexOf("@")) : trimmed;
  const show = (field: keyof typeof touched) => submitted || touched[field];
  // Refusals about the name (taken, another realm) go beside the name field.
  const createCode = (create.error as { data?: { code?: string } | null } | null)?.data?.code;
  const badId = create.error?.message.match(/^invalid user id '[^']*': (.*)$/)?.[1];
  const userRefused =
    createCode === "CONFLICT" ? "A user with this name exists already: choose another name." : badId ? `User name refused: ${badId}.` : undefined;
  const userProblem = creating ? ((show("user") ? userNameProblem(name) : undefined) ?? userRefused) : undefined;
  const passwordRule = show("password") ? passwordProblem(password) : undefined;
  const confirmProblem =
    show("confirm") && confirm !== password ? (confirm === "" ? "Type the password again." : "The two passwords differ: type the same one twice.") : undefined;

  const close = () => {
    setUserid("");
    setPassword("");
    setConfirm("");
    setComment("");
    setSubmitted(false);
    setTouched({ user: false, password: false, confirm: false });
    create.reset();
    setPw.reset();
    onClose();
  };
  // What the server refused was about the old input: it goes as soon as the input changes.
  const edit = (set: (v: string) => void) => (value: string) => {
    set(value);
    if (create.error) create.reset();
    if (setPw.error) setPw.reset();
  };
  const blur = (field: keyof typeof touched) => () => setTouched((t) => ({ ...t, [field]: true }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if ((creating && userNameProblem(name)) || passwordProblem(password) || confirm !== password) return;
    try {
      if (creating) {
        await create.mutateAsync({ userid: trimmed.includes("@") ? trimmed : `${trimmed}@pbs`, password, ...(comment ? { comment } : {}) });
      } else if (editing?.kind === "password") {
        await setPw.mutateAsync({ userid: editing.userid, password });
      }
      onDone();
      close();
    } catch {
      // shown below
    }
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(o) => (o ? undefined : close())}
      title={creating ? "Add user" : `Set password for ${editing?.kind === "password" ? editing.userid : ""}`}
      description={creating ? "The user logs in with this name and password; give them permissions afterwards." : undefined}
    >
      <form className="admin-form" onSubmit={submit} noValidate>
        {creating ? (
          <div className="field">
            <label className="field__label" htmlFor={`${id}-user`}>
              User name
            </label>
            <input
              id={`${id}-user`}
              className="input"
              value={userid}
              onChange={(e) => edit(setUserid)(e.target.value)}
              onBlur={blur("user")}
              autoComplete="off"
              placeholder="alice@pbs"
              aria-invalid={userProblem ? true : undefined}
              aria-describedby={`${id}-user-msg`}
            />
            <FieldProblem id={`${id}-user-msg`} problem={userProblem} hint={`${USER_NAME_RULE}; "alice" means alice@pbs.`} alert={!!userRefused} />
          </div>
        ) : null}
        <div className="field">
          <label className="field__label" htmlFor={`${id}-pw`}>
            {creating ? "Password" : "New password"}
          </label>
          <input
            id={`${id}-pw`}
            className="input"
            type="password"
            value={password}
            onChange={(e) => edit(setPassword)(e.target.value)}
            onBlur={blur("password")}
            autoComplete="new-password"
            aria-invalid={passwordRule ? true : undefined}
            aria-describedby={`${id}-pw-msg`}
          />
          <FieldProblem id={`${id}-pw-msg`} problem={passwordRule} hint={`${PASSWORD_RULE}.`} />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-confirm`}>
            Confirm password
          </label>
          <input
            id={`${id}-confirm`}
            className="input"
            type="password"
            value={confirm}
            onChange={(e) => edit(setConfirm)(e.target.value)}
            onBlur={blur("confirm")}
            autoComplete="new-password"
            aria-invalid={confirmProblem ? true : undefined}
            aria-describedby={confirmProblem ? `${id}-confirm-msg` : undefined}
          />
          <FieldProblem id={`${id}-confirm-msg`} problem={confirmProblem} />
        </div>
        {creating ? (
          <div className="field">
            <label className="field__label" htmlFor={`${id}-comment`}>
              Comment
            </label>
            <input id={`${id}-comment`} className="input" value={comment} onChange={(e) => edit(setComment)(e.target.value)} maxLength={128} />
          </div>
        ) : null}
        {error && !userRefused ? <ActionError title={creating ? "Could not add the user" : "Could not set the password"} error={error} /> : null}
        <DialogFooter>
          <DialogClose className="button">Cancel</DialogClose>
          <button type="submit" className="button button--primary" disabled={pending}>
            {creating ? "Add" : "Set password"}
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
