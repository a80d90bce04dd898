/**
 * Where the login page may send the browser afterwards (`?next=`): only a path of this very
 * console. The check resolves the value against the console's origin, as the browser will, so
 * that `//evil.example`, `/\evil.example` (a backslash is a slash to browsers), `https:evil`,
 * encoded variants and the like are all seen for what they are and replaced by the default.
 */
export const DEFAULT_NEXT = "/datastores";

export function safeNext(raw: string | null | undefined, origin: string): string {
  if (!raw) return DEFAULT_NEXT;
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return DEFAULT_NEXT;
  }
  if (url.origin !== new URL(origin).origin) return DEFAULT_NEXT;
  // Back to the login page would be a loop.
  if (url.pathname === "/login" || url.pathname.startsWith("/login/")) return DEFAULT_NEXT;
  return `${url.pathname}${url.search}${url.hash}`;
}
