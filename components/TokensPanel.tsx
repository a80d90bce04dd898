"use client";
/**
 * API tokens (PBS Access > API Token): the current user's (My account, or anyone without
 * Sys.Audit), or everybody's for an admin. A new token's secret is shown once, with a copy
 * button; revoking one ends it at once. A new token has no permissions of its own until it is
 * granted some: the Add dialog says so, and lets someone with Permissions.Modify on
 * /access/users create a token for another user (PBS).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState, type FormEvent } from "react";
import { TOKEN_NAME_RULE, tokenNameProblem } from "@/server/datastore/model/credentials";
import { ActionError } from "./ActionError";
import { ConfirmDialog } from "./ConfirmDialog";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { ErrorMessage } from "./ErrorMessage";
import { FieldProblem } from "./FieldProblem";
import { Icon } from "./Icon";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";
import { usePermissions } from "./usePermissions";
import { useSession } from "./useSession";
import "./account.css";

/** `mine`: only the caller's own tokens (My account); `auto`: everybody's for those who may see them. */
export function TokensPanel({ scope = "auto" }: { scope?: "mine" | "auto" }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { authId } = useSession();
  const perms = usePermissions("/access/users");
  const all = scope === "auto" && perms.has("Sys.Audit", "Permissions.Modify");
  const tokens = useQuery({ ...trpc.token.list.queryOptions(all ? { all: true } : {}), enabled: scope === "mine" || !perms.loading });
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<string | null>(null);
  const revoke = useMutation(trpc.token.revoke.mutationOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.token.list.pathKey() });
  const mayRevoke = (tokenid: string) => tokenid.startsWith(`${authId}!`) || perms.has("Permissions.Modify");

  return (
    <section className="panel" aria-labelledby="tokens-title">
      <div className="panel__toolbar">
        <h2 className="panel__title" id="tokens-title">
          {all ? "API tokens of all users" : "Your API tokens"}
        </h2>
        <button type="button" className="button button--primary" onClick={() => setCreating(true)}>
          <Icon name="plus" />
          Add token
        </button>
      </div>
      <p className="panel__body muted">
        Scripts send <code>Authorization: PBSAPIToken=user@realm!name:SECRET</code>. A token acts with at most its user&apos;s privileges and only
        those given to the token itself on the Permissions page.
      </p>
      {tokens.isPending ? (
        <div className="empty-state">
          <Spinner label="Loading API tokens" />
        </div>
      ) : tokens.isError ? (
        <ErrorMessage title="Could not load the API tokens" error={tokens.error} />
      ) : tokens.data.length === 0 ? (
        <p className="empty-state">No API tokens yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table data-table--stack" aria-labelledby="tokens-title">
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">Enabled</th>
                <th scope="col">Comment</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => (
                <tr key={t.tokenid}>
                  <td className="mono nowrap">{t.tokenid}</td>
                  <td data-label="Enabled">{t.enable ? "Yes" : "No"}</td>
                  <td className="truncate" data-label="Comment">{t.comment}</td>
                  <td className="data-table__actions">
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => setRevoking(t.tokenid)}
                      disabled={!mayRevoke(t.tokenid)}
                      title={mayRevoke(t.tokenid) ? undefined : "Only its user or someone with Permissions.Modify on /access/users may revoke it"}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateTokenDialog
        open={creating}
        onClose={() => setCreating(false)}
        onDone={refresh}
        forOthers={scope === "auto" && perms.has("Permissions.Modify")}
      />
      <ConfirmDialog
        open={revoking !== null}
        onClose={() => setRevoking(null)}
        title={`Revoke API token ${revoking ?? ""}`}
        confirmLabel="Revoke"
        onConfirm={() => revoke.mutateAsync({ tokenid: revoking ?? "" })}
        onDone={refresh}
      >
        <p>Scripts using it are refused from now on. Its permissions are removed too.</p>
      </ConfirmDialog>
    </section>
  );
}

/** The hint every new token needs: it can do nothing yet. */
function TokenPermissionHint({ tokenid }: { tokenid?: string }) {
  const acl = usePermissions("/access/acl");
  return (
    <p className="token-hint" data-testid="token-permission-hint">
      {tokenid ? <code>{tokenid}</code> : "A new token"} has no permissions until it is granted some on the{" "}
      <Link href="/admin/permissions">Permissions</Link> page
      {acl.loading || acl.has("Permissions.Modify") ? "" : " (by someone with Permissions.Modify on /access/acl)"}. It never gets more than its
      user has.
    </p>
  );
}

function CreateTokenDialog({ open, onClose, onDone, forOthers }: { open: boolean; onClose(): void; onDone(): void; forOthers: boolean }) {
  const trpc = useTRPC();
  const id = useId();
  const { authId } = useSession();
  const [user, setUser] = useState("");
  const [name, setName] = useState("");
  const [comment, setComment] = useState("");
  const [copied, setCopied] = useState(false);
  const [touched, setTouched] = useState(false);
  const users = useQuery({ ...trpc.user.list.queryOptions(), enabled: open && forOthers });
  const create = useMutation(trpc.token.create.mutationOptions({ onSuccess: onDone }));
  const created = create.data;
  const owner = user || authId || "";
  const nameProblem = touched ? tokenNameProblem(name.trim()) : undefined;

  const close = () => {
    setUser("");
    setName("");
    setComment("");
    setCopied(false);
    setTouched(false);
    create.reset();
    onClose();
  };
  // An old refusal (name taken, ...) is stale once the input changes.
  const edit = (set: (v: string) => void) => (value: string) => {
    set(value);
    if (create.error) create.reset();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (tokenNameProblem(name.trim())) return;
    create.mutate({
      name: name.trim(),
      ...(owner !== authId ? { userid: owner } : {}),
      ...(comment ? { comment } : {}),
    });
  };
  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard (http): the secret is selectable
    }
  };

  return (
    <Dialog open={open} onOpenChange={(o) => (o ? undefined : close())} title={created ? `API token ${created.tokenid}` : "Add API token"}>
      {created ? (
        <div className="admin-form">
          <p className="alert alert--warning" role="status">
            Copy the secret now: it is shown only this once and cannot be read again.
          </p>
          <div className="field">
            <span className="field__label" id={`${id}-secret-label`}>
              Secret
            </span>
            <div className="secret-box">
              <code aria-labelledby={`${id}-secret-label`} data-testid="token-secret">
                {created.secret}
              </code>
              <button type="button" className="button" onClick={copy}>
                {copied ? "Copied" : "Copy"}
              </button>
            </div>
          </div>
          <p className="field__hint">
            Header: <code>Authorization: PBSAPIToken={created.tokenid}:SECRET</code>
          </p>
          <TokenPermissionHint tokenid={created.tokenid} />
          <DialogFooter>
            <DialogClose className="button button--primary">Done</DialogClose>
          </DialogFooter>
        </div>
      ) : (
        <form className="admin-form" onSubmit={submit} noValidate>
          <TokenPermissionHint />
          {forOthers ? (
            <div className="field">
              <label className="field__label" htmlFor={`${id}-user`}>
                User
              </label>
              <select id={`${id}-user`} className="input" value={owner} onChange={(e) => edit(setUser)(e.target.value)} aria-describedby={`${id}-user-hint`}>
                {[...new Set([authId ?? "", ...(users.data ?? []).map((u) => u.userid)])]
                  .filter((u) => u !== "")
                  .map((u) => (
                    <option key={u} value={u}>
                      {u === authId ? `${u} (you)` : u}
                    </option>
                  ))}
              </select>
              <p className="field__hint" id={`${id}-user-hint`}>
                The token acts for this user, with at most their privileges.
              </p>
            </div>
          ) : null}
          <div className="field">
            <label className="field__label" htmlFor={`${id}-name`}>
              Token name
            </label>
            <input
              id={`${id}-name`}
              className="input"
              value={name}
              onChange={(e) => edit(setName)(e.target.value)}
              onBlur={() => name !== "" && setTouched(true)}
              placeholder="backup-script"
              autoComplete="off"
              aria-invalid={nameProblem ? true : undefined}
              aria-describedby={`${id}-name-msg`}
            />
            <FieldProblem id={`${id}-name-msg`} problem={nameProblem} hint={`${owner}!name; ${TOKEN_NAME_RULE}.`} />
          </div>
          <div className="field">
            <label className="field__label" htmlFor={`${id}-comment`}>
              Comment
            </label>
            <input id={`${id}-comment`} className="input" value={comment} onChange={(e) => edit(setComment)(e.target.value)} maxLength={128} />
          </div>
          {create.error ? <ActionError title="Could not add the token" error={create.error} /> : null}
          <DialogFooter>
            <DialogClose className="button">Cancel</DialogClose>
            <button type="submit" className="button button--primary" disabled={create.isPending}>
              Add
            </button>
          </DialogFooter>
        </form>
      )}
    </Dialog>
  );
}
