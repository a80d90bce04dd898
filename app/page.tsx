import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { resolveCaller } from "@/server/api/auth-middleware";

/**
 * The start page is the datastore list; without a session the server sends the browser to the
 * login page at once (a 307), instead of the client gate's "Redirecting…" after the page loaded.
 */
export default async function Home() {
  const caller = resolveCaller(await headers());
  redirect(caller.via === "session" && caller.authId ? "/datastores" : "/login");
}
