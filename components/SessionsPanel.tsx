"use client";
/**
 * My account > Sessions: where the user is logged in to the console (login time, last use to
 * the minute, address and browser as the server saw them), this one marked. *End* ends one at
 * once; *Log out everywhere* ends all of them, this one too, and goes to the login page.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState } from "react";
import { ActionError } from "./ActionError";
import { browserLabel } from "./browser-label";
import { ConfirmDialog } from "./ConfirmDialog";
import { ErrorMessage } from "./ErrorMessage";
import { formatUtcTime } from "./format";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";

const utc = (ms: number) => `${formatUtcTime(ms / 1000)} UTC`;

export function SessionsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const title = useRef<HTMLHeadingElement>(null);
  const sessions = useQuery(trpc.account.sessions.queryOptions());
  const [confirming, setConfirming] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.account.sessions.queryKey() });
  const end = useMutation(
    trpc.account.endSession.mutationOptions({
      onSettled: refresh,
      // Its row (and the button that had the focus) is gone: keep the keyboard in this panel.
      onSuccess: () => title.current?.focus(),
    }),
  );
  const everywhere = useMutation(trpc.account.logoutEverywhere.mutationOptions());

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <div className="panel__toolbar">
        <h2 className="panel__title" id={`${id}-title`} ref={title} tabIndex={-1}>
          Sessions
        </h2>
        <button type="button" className="button button--danger" onClick={() => setConfirming(true)}>
          Log out everywhere
        </button>
      </div>
      <p className="panel__body muted sessions__intro">
        Where you are logged in to the console. A session ends 2 h after its last use and 24 h after login at the latest.
      </p>
      {end.error ? <ActionError title="Could not end the session" error={end.error} /> : null}
      {sessions.isPending ? (
        <div className="empty-state">
          <Spinner label="Loading sessions" />
        </div>
      ) : sessions.isError ? (
        <ErrorMessage title="Could not load your sessions" error={sessions.error} />
      ) : (
        <div className="table-wrap">
          <table className="data-table data-table--stack" aria-labelledby={`${id}-title`}>
            <thead>
              <tr>
                <th scope="col">Browser</th>
                <th scope="col">Address</th>
                <th scope="col">Logged in</th>
                <th scope="col">Last renewed</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {sessions.data.map((s) => (
                <tr key={s.id} aria-current={s.current ? "true" : undefined}>
                  <td className="sessions__agent" title={s.agent}>
                    <span>
                      {browserLabel(s.agent)}
                      {s.current ? <span className="badge badge--info sessions__current">This session</span> : null}
                    </span>
                  </td>
                  <td className="mono nowrap" data-label="Address">{s.address ?? <span className="muted">not known</span>}</td>
                  <td className="nowrap" data-label="Logged in">
                    {utc(s.login)}
                  </td>
                  <td className="nowrap" data-label="Last renewed">
                    {utc(s.renewed)}
                  </td>
                  <td className="data-table__actions">
                    {s.current ? (
                      <span className="muted">Log out in the user menu</span>
                    ) : (
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => end.mutate({ id: s.id })}
                        disabled={end.isPending}
                        aria-label={`End the session of ${browserLabel(s.agent)}, logged in ${utc(s.login)}`}
                      >
                        End
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={confirming}
        onClose={() => setConfirming(false)}
        title="Log out everywhere"
        confirmLabel="Log out everywhere"
        onConfirm={async () => {
          await everywhere.mutateAsync();
          window.location.assign("/login");
        }}
      >
        <p>Every session of yours ends at once, this one too: you will log in again here.</p>
      </ConfirmDialog>
    </section>
  );
}
