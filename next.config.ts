import type { NextConfig } from "next";
import { SECURITY_HEADERS } from "./server/api/security-headers";

const nextConfig: NextConfig = {
  // Loaded from node_modules at run time, not bundled: the WebAssembly zstd finds its .wasm file
  // in its package directory, the native one is a compiled addon; the AWS SDK (S3 datastores) is
  // server-only and large.
  serverExternalPackages: ["@bokuweb/zstd-wasm", "zstd-napi", "@aws-sdk/client-s3"],
  // No `X-Powered-By: Next.js`: it tells an attacker which exploits to try.
  poweredByHeader: false,
  async headers() {
    // The API answered by scripts/serve.mjs gets the same headers there (node-adapter.ts).
    return [{ source: "/:path*", headers: [...SECURITY_HEADERS] }];
  },
};

export default nextConfig;
