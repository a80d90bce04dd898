"use client";
/**
 * The login page's form: user name and password, errors in plain words (wrong password,
 * throttled after repeated failures). On success the whole page reloads at the page the user
 * wanted (`?next=`), so that the server renders it with the new session.
 */
import { useMutation } from "@tanstack/react-query";
import { useEffect, useId, useState, type FormEvent } from "react";
import { cofferData } from "./explainError";
import { Icon } from "./Icon";
import { safeNext } from "./safe-next";
import { useTRPC } from "./TrpcProvider";
import { useSession } from "./useSession";

/** Where to go after logging in: only a path of this console (safe-next.ts). */
function nextPage(): string {
  return safeNext(new URLSearchParams(window.location.search).get("next"), window.location.origin);
}

/** `admin` means `admin@pbs`: Coffer's own realm, as PBS's login form defaults to it. */
export function withRealm(username: string): string {
  const u = username.trim();
  return u === "" || u.includes("@") ? u : `${u}@pbs`;
}

function explainLoginError(error: { message: string; data?: { code?: string } | null }): string {
  const code = error.data?.code;
  if (code === "TOO_MANY_REQUESTS") {
    const secs = cofferData(error)?.retryAfterSeconds;
    return `Too many failed attempts. Try again in ${secs ?? "a few"} s.`;
  }
  if (code === "UNAUTHORIZED") return "The user name or password is not right. Check both and try again.";
  if (code === "FORBIDDEN") return `The login was refused: ${error.message}`;
  return `Could not log in: ${error.message}`;
}

export function LoginForm() {
  const trpc = useTRPC();
  const id = useId();
  const session = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: () => window.location.assign(nextPage()),
    }),
  );

  // Already logged in (a bookmark, the back button): straight on.
  useEffect(() => {
    if (session.authId) window.location.replace(nextPage());
  }, [session.authId]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!username.trim() || !password) return;
    login.mutate({ username: withRealm(username), password });
  };

  const error = login.error ? explainLoginError(login.error) : undefined;

  return (
    <div className="login">
      <div className="login__brand">
        <Icon name="logo" className="login__logo" />
        <span>Coffer</span>
      </div>
      <section className="panel login__panel" aria-labelledby={`${id}-title`}>
        <h1 className="login__title" id={`${id}-title`}>
          Log in to the console
        </h1>
        <form className="login__form" onSubmit={submit} noValidate>
          <div className="field">
            <label className="field__label" htmlFor={`${id}-user`}>
              User name
            </label>
            <input
              id={`${id}-user`}
              className="input"
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              autoFocus
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              aria-describedby={`${id}-user-hint`}
            />
            <p className="field__hint" id={`${id}-user-hint`}>
              For example <code>admin@pbs</code>; <code>admin</code> alone means the same.
            </p>
          </div>
          <div className="field">
            <label className="field__label" htmlFor={`${id}-password`}>
              Password
            </label>
            <input
              id={`${id}-password`}
              className="input"
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          {error ? (
            <div className="alert" role="alert">
              <Icon name="alert" />
              <div>
                <p className="alert__title">{error}</p>
              </div>
            </div>
          ) : null}
          <button type="submit" className="button button--primary login__submit" disabled={login.isPending || !username.trim() || !password}>
            {login.isPending ? "Logging in…" : "Log in"}
          </button>
        </form>
        <p className="login__help">
          First start? The user is <code>admin@pbs</code>. Its password was set with <code>COFFER_ADMIN_PASSWORD</code>, or generated, printed
          by the server once and saved in <code>COFFER_HOME/etc/admin-password</code> (readable only by the server&apos;s user).
        </p>
      </section>
    </div>
  );
}
