import type { Metadata } from "next";
import type { ReactNode } from "react";
import { AppHeader } from "@/components/AppHeader";
import { TrpcProvider } from "@/components/TrpcProvider";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Coffer", template: "%s · Coffer" },
  description: "Coffer backup datastore console",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <TrpcProvider>
          <AppHeader />
          <main id="main" className="page">
            {children}
          </main>
        </TrpcProvider>
      </body>
    </html>
  );
}
