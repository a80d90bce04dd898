"use client";
/**
 * My account: the logged-in user's password, API tokens and sessions. Coffer keeps passwords
 * and sessions only for its own realm `pbs`; other users are told so instead of failing forms.
 */
import { ChangePasswordForm } from "./ChangePasswordForm";
import { SessionsPanel } from "./SessionsPanel";
import { TokensPanel } from "./TokensPanel";
import { useSession } from "./useSession";
import "./account.css";

export function AccountView() {
  const { authId } = useSession();
  if (!authId) return null;
  if (!authId.endsWith("@pbs")) {
    return (
      <p className="alert alert--info" role="status">
        {authId} is not a user of realm pbs: its password and sessions are not kept by Coffer, so there is nothing to change here.
      </p>
    );
  }
  return (
    <div className="account">
      <ChangePasswordForm />
      <TokensPanel scope="mine" />
      <SessionsPanel />
    </div>
  );
}
