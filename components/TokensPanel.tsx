"use client";
/**
 * API tokens (PBS Access > API Token): the current user's, or everybody's for an admin. A new
 * token's secret is shown once, with a copy button; revoking one ends it at once.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { ActionError } from "./ActionError";
import { ConfirmDialog } from "./ConfirmDialog";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { ErrorMessage } from "./ErrorMessage";
import { Icon } from "./Icon";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";
import { usePermissions } from "./usePermissions";
import { useSession } from "./useSession";

export function TokensPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { authId } = useSession();
  const perms = usePermissions("/access/users");
  const all = perms.has("Sys.Audit", "Permissions.Modify");
  const tokens = useQuery({ ...trpc.token.list.queryOptions(all ? { all: true } : {}), enabled: !perms.loading });
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
          <table className="data-table" aria-labelledby="tokens-title">
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
                  <td>{t.enable ? "Yes" : "No"}</td>
                  <td className="truncate">{t.comment}</td>
                  <td>
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
      <CreateTokenDialog open={creating} onClose={() => setCreating(false)} onDone={refresh} />
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

function CreateTokenDialog({ open, onClose, onDone }: { open: boolean; onClose(): void; onDone(): void }) {
  const trpc = useTRPC();
  const id = useId();
  const [name, setName] = useState("");
  const [comment, setComment] = useState("");
  const [copied, setCopied] = useState(false);
  const create = useMutation(trpc.token.create.mutationOptions({ onSuccess: onDone }));
  const created = create.data;

  const close = () => {
    setName("");
    setComment("");
    setCopied(false);
    create.reset();
    onClose();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate({ name: name.trim(), ...(comment ? { comment } : {}) });
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
          <DialogFooter>
            <DialogClose className="button button--primary">Done</DialogClose>
          </DialogFooter>
        </div>
      ) : (
        <form className="admin-form" onSubmit={submit} noValidate>
          <div className="field">
            <label className="field__label" htmlFor={`${id}-name`}>
              Token name
            </label>
            <input id={`${id}-name`} className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder="backup-script" autoComplete="off" />
          </div>
          <div className="field">
            <label className="field__label" htmlFor={`${id}-comment`}>
              Comment
            </label>
            <input id={`${id}-comment`} className="input" value={comment} onChange={(e) => setComment(e.target.value)} />
          </div>
          {create.error ? <ActionError title="Could not add the token" error={create.error} /> : null}
          <DialogFooter>
            <DialogClose className="button">Cancel</DialogClose>
            <button type="submit" className="button button--primary" disabled={create.isPending || !name.trim()}>
              Add
            </button>
          </DialogFooter>
        </form>
      )}
    </Dialog>
  );
}
