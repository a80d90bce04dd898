import type { Metadata } from "next";
import { headers } from "next/headers";
import type { ReactNode } from "react";
import { AuthGate } from "@/components/AuthGate";
import { TrpcProvider } from "@/components/TrpcProvider";
import { resolveCaller } from "@/server/api/auth-middleware";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Coffer", template: "%s · Coffer" },
  description: "Coffer backup datastore console",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The session cookie is HttpOnly: only the server can tell who is logged in.
  const caller = resolveCaller(await headers());
  const authId = caller.via === "session" ? (caller.authId ?? null) : null;
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <TrpcProvider>
          <AuthGate authId={authId}>{children}</AuthGate>
        </TrpcProvider>
      </body>
    </html>
  );
}
