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
  // Loaded from node_modules at run time, not bundled: the WebAssembly zstd finds its .wasm file
  // in its package directory, the native one is a compiled addon; the AWS SDK (S3 datastores) is
  // server-only and large.
  serverExternalPackages: ["@bokuweb/zstd-wasm", "zstd-napi", "@aws-sdk/client-s3"],
  // No `X-Powered-By: Next.js`: it tells an attacker which exploits to try.
  poweredByHeader: false,
  async headers() {
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
};

export default nextConfig;
