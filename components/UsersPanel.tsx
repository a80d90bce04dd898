"use client";
/**
 * Users of realm pbs (PBS Access > User Management): the list, Add user, Set password,
 * enable/disable and Remove. What the current user may not do is disabled with the reason.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ActionError } from "./ActionError";
import { ConfirmDialog } from "./ConfirmDialog";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { ErrorMessage } from "./ErrorMessage";
import { ExplainedButton } from "./ExplainedButton";
import { Icon } from "./Icon";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";
import { usePermissions } from "./usePermissions";
import { useSession } from "./useSession";

type Editing = { kind: "create" } | { kind: "password"; userid: string } | { kind: "delete"; userid: string } | null;

export function UsersPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { authId } = useSession();
  const perms = usePermissions("/access/users");
  const users = useQuery({ ...trpc.user.list.queryOptions(), enabled: perms.has("Sys.Audit", "Permissions.Modify") || perms.loading });
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
        <ExplainedButton className="button button--primary" onClick={() => setEditing({ kind: "create" })} reason={cannotManage}>
          <Icon name="plus" />
          Add user
        </ExplainedButton>
      </div>
      {cannotManage && !perms.loading ? <p className="panel__body muted permission-note">{cannotManage}.</p> : null}
      {update.error ? <ActionError title="Could not change the user" error={update.error} /> : null}
      {users.isPending ? (
        <div className="empty-state">
          <Spinner label="Loading users" />
        </div>
      ) : users.isError ? (
        <ErrorMessage title="Could not load the users" error={users.error} />
      ) : (
        <div className="table-wrap">
          <table className="data-table" aria-labelledby="users-title">
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
                const cannotPassword = self ? undefined : cannotManage;
                return (
                  <tr key={u.userid}>
                    <td className="nowrap">
                      {u.userid}
                      {self ? <span className="muted"> (you)</span> : null}
                    </td>
                    <td>{u.enable ? "Yes" : <span className="badge badge--warning">Disabled</span>}</td>
                    <td className="nowrap">{u.expire === 0 ? <span className="muted">never</span> : new Date(u.expire * 1000).toISOString().slice(0, 10)}</td>
                    <td className="truncate">{u.comment}</td>
                    <td className="nowrap">
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
  const [comment, setComment] = useState("");
  const create = useMutation(trpc.user.create.mutationOptions());
  const setPw = useMutation(trpc.user.setPassword.mutationOptions());
  const open = editing?.kind === "create" || editing?.kind === "password";
  const creating = editing?.kind === "create";
  const pending = create.isPending || setPw.isPending;
  const error = creating ? create.error : setPw.error;

  const close = () => {
    setUserid("");
    setPassword("");
    setComment("");
    create.reset();
    setPw.reset();
    onClose();
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      if (creating) {
        const name = userid.includes("@") ? userid.trim() : `${userid.trim()}@pbs`;
        await create.mutateAsync({ userid: name, password, ...(comment ? { comment } : {}) });
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
            <input id={`${id}-user`} className="input" value={userid} onChange={(e) => setUserid(e.target.value)} autoComplete="off" placeholder="alice@pbs" />
          </div>
        ) : null}
        <div className="field">
          <label className="field__label" htmlFor={`${id}-pw`}>
            {creating ? "Password" : "New password"}
          </label>
          <input id={`${id}-pw`} className="input" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" aria-describedby={`${id}-pw-hint`} />
          <p className="field__hint" id={`${id}-pw-hint`}>
            5 to 64 characters.
          </p>
        </div>
        {creating ? (
          <div className="field">
            <label className="field__label" htmlFor={`${id}-comment`}>
              Comment
            </label>
            <input id={`${id}-comment`} className="input" value={comment} onChange={(e) => setComment(e.target.value)} />
          </div>
        ) : null}
        {error ? <ActionError title={creating ? "Could not add the user" : "Could not set the password"} error={error} /> : null}
        <DialogFooter>
          <DialogClose className="button">Cancel</DialogClose>
          <button type="submit" className="button button--primary" disabled={pending || !password || (creating && !userid.trim())}>
            {creating ? "Add" : "Set password"}
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
