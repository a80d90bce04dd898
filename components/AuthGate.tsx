"use client";
/**
 * Keeps the console behind the login: without a session every page but /login sends the
 * browser to /login (and back afterwards, `?next=`); with one, the header and the page show.
 * The server decided who is logged in (app/layout.tsx); the API checks every call regardless.
 */
import { usePathname, useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { AppHeader } from "./AppHeader";
import { SessionContext } from "./useSession";

export const LOGIN_PATH = "/login";

export function loginUrl(next: string): string {
  return next && next !== "/" && next !== LOGIN_PATH ? `${LOGIN_PATH}?next=${encodeURIComponent(next)}` : LOGIN_PATH;
}

export function AuthGate({ authId, children }: { authId: string | null; children: ReactNode }) {
  const pathname = usePathname();
  const router = useRouter();
  const onLogin = pathname === LOGIN_PATH;
  const blocked = !authId && !onLogin;

  useEffect(() => {
    if (blocked) router.replace(loginUrl(`${window.location.pathname}${window.location.search}`));
  }, [blocked, router]);

  return (
    <SessionContext.Provider value={{ authId }}>
      {authId && !onLogin ? <AppHeader /> : null}
      <main id="main" className={onLogin ? "page page--login" : "page"}>
        {blocked ? <p className="empty-state">Redirecting to the login page…</p> : children}
      </main>
    </SessionContext.Provider>
  );
}
