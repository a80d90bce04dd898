"use client";
/**
 * Who is logged in, as the server saw it when it rendered the page (app/layout.tsx reads the
 * HttpOnly session cookie on the server; the browser's scripts never see it).
 */
import { createContext, useContext } from "react";

export interface Session {
  /** `user@realm`, or null when nobody is logged in. */
  authId: string | null;
}

export const SessionContext = createContext<Session>({ authId: null });

export function useSession(): Session {
  return useContext(SessionContext);
}
