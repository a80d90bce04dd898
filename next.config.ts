import type { NextConfig } from "next";

/**
 * Sent with every page and API answer (docs/security.md). The CSP keeps 'unsafe-inline' for
 * scripts because the App Router streams its payload in inline scripts; everything else is
 * same-origin only, and no page may be framed (clickjacking).
 */
const SECURITY_HEADERS = [
  {
    key: "Content-Security-Policy",
    value: [
      "default-src 'self'",
      "script-src 'self' 'unsafe-inline'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      "font-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join("; "),
  },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
];

const nextConfig: NextConfig = {
  // The zstd encoder loads its WebAssembly file from its package directory at run time.
  serverExternalPackages: ["@bokuweb/zstd-wasm"],
  // No `X-Powered-By: Next.js`: it tells an attacker which exploits to try.
  poweredByHeader: false,
  async headers() {
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
};

export default nextConfig;
