"use client";
/**
 * The ACL (PBS Access > Permissions): path, user or token, role, propagate. Add and Remove
 * entries; a more specific path replaces what is inherited, NoAccess masks it.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { ErrorMessage } from "./ErrorMessage";
import { Icon } from "./Icon";
import { ExplainedButton } from "./ExplainedButton";
import { MissingPrivilege } from "./MissingPrivilege";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";
import { usePermissions } from "./usePermissions";

export function PermissionsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const perms = usePermissions("/access/acl");
  const maySee = perms.has("Sys.Audit", "Permissions.Modify");
  // Asked only once the privileges are known: a user without them gets a note, not a red error.
  const acl = useQuery({ ...trpc.acl.list.queryOptions(), enabled: maySee });
  const [adding, setAdding] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.acl.list.queryKey() });
  const update = useMutation(trpc.acl.update.mutationOptions({ onSettled: refresh }));
  const cannot = perms.missing("change permissions", "Permissions.Modify");

  return (
    <section className="panel" aria-labelledby="acl-title">
      <div className="panel__toolbar">
        <h2 className="panel__title" id="acl-title">
          Permissions
        </h2>
        {perms.loading || maySee ? (
          <ExplainedButton className="button button--primary" onClick={() => setAdding(true)} reason={cannot}>
            <Icon name="plus" />
            Add permission
          </ExplainedButton>
        ) : null}
      </div>
      {update.error ? <ActionError title="Could not change the permissions" error={update.error} /> : null}
      {!perms.loading && !maySee ? (
        <div className="panel__body panel__body--note">
          <MissingPrivilege what="see the permissions" privileges={["Sys.Audit", "Permissions.Modify"]} path="/access/acl" />
        </div>
      ) : acl.isPending ? (
        <div className="empty-state">
          <Spinner label="Loading permissions" />
        </div>
      ) : acl.isError ? (
        <ErrorMessage title="Could not load the permissions" error={acl.error} />
      ) : (
        <div className="table-wrap">
          <table className="data-table data-table--stack" aria-labelledby="acl-title">
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">User or token</th>
                <th scope="col">Role</th>
                <th scope="col">Propagate</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {acl.data.acl.map((e) => (
                <tr key={`${e.path} ${e["auth-id"]} ${e.role}`}>
                  <td className="mono">{e.path}</td>
                  <td className="nowrap" data-label="User or token">{e["auth-id"]}</td>
                  <td data-label="Role" title={acl.data.roles.find((r) => r.name === e.role)?.privileges.join(", ") || "no privileges"}>{e.role}</td>
                  <td data-label="Propagate">{e.propagate ? "Yes" : "No"}</td>
                  <td className="data-table__actions">
                    <button
                      type="button"
                      className="link-button"
                      disabled={!!cannot || update.isPending}
                      title={cannot}
                      aria-label={`Remove ${e.role} of ${e["auth-id"]} on ${e.path}`}
                      onClick={() => update.mutate({ path: e.path, authId: e["auth-id"], role: e.role, delete: true })}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {acl.data ? <AddPermissionDialog open={adding} onClose={() => setAdding(false)} roles={acl.data.roles} onDone={refresh} /> : null}
    </section>
  );
}

function AddPermissionDialog({
  open,
  onClose,
  roles,
  onDone,
}: {
  open: boolean;
  onClose(): void;
  roles: { name: string; privileges: string[] }[];
  onDone(): void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const users = useQuery({ ...trpc.user.list.queryOptions(), enabled: open });
  const tokens = useQuery({ ...trpc.token.list.queryOptions({ all: true }), enabled: open });
  const [path, setPath] = useState("/datastore");
  const [authId, setAuthId] = useState("");
  const [role, setRole] = useState("DatastoreReader");
  const [propagate, setPropagate] = useState(true);
  const add = useMutation(trpc.acl.update.mutationOptions());
  const close = () => {
    add.reset();
    onClose();
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await add.mutateAsync({ path, authId, role: role as never, propagate });
      onDone();
      close();
    } catch {
      // shown below
    }
  };
  const ids = [...(users.data ?? []).map((u) => u.userid), ...(tokens.data ?? []).map((t) => t.tokenid)];
  const privileges = roles.find((r) => r.name === role)?.privileges ?? [];

  return (
    <Dialog open={open} onOpenChange={(o) => (o ? undefined : close())} title="Add permission" description="Give a user or API token a role on a path.">
      <form className="admin-form" onSubmit={submit} noValidate>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-path`}>
            Path
          </label>
          <input id={`${id}-path`} className="input mono" value={path} onChange={(e) => setPath(e.target.value)} aria-describedby={`${id}-path-hint`} />
          <p className="field__hint" id={`${id}-path-hint`}>
            <code>/</code>, <code>/datastore</code>, <code>/datastore/STORE</code>, <code>/datastore/STORE/NAMESPACE</code>, <code>/system/tasks</code>,{" "}
            <code>/access/users</code>, <code>/access/acl</code>.
          </p>
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-who`}>
            User or token
          </label>
          <select id={`${id}-who`} className="input" value={authId} onChange={(e) => setAuthId(e.target.value)}>
            <option value="">Choose…</option>
            {ids.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-role`}>
            Role
          </label>
          <select id={`${id}-role`} className="input" value={role} onChange={(e) => setRole(e.target.value)} aria-describedby={`${id}-role-hint`}>
            {roles.map((r) => (
              <option key={r.name} value={r.name}>
                {r.name}
              </option>
            ))}
          </select>
          <p className="field__hint" id={`${id}-role-hint`}>
            {privileges.length ? privileges.join(", ") : "No privileges: masks what is inherited from above."}
          </p>
        </div>
        <label className="check">
          <input type="checkbox" checked={propagate} onChange={(e) => setPropagate(e.target.checked)} />
          Propagate to the paths below
        </label>
        {add.error ? <ActionError title="Could not add the permission" error={add.error} /> : null}
        <DialogFooter>
          <DialogClose className="button">Cancel</DialogClose>
          <button type="submit" className="button button--primary" disabled={add.isPending || !authId || !path}>
            Add
          </button>
        </DialogFooter>
      </form>
    </Dialog>
  );
}
