import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The engine spawns bin/coffer for tasks and reads /proc; keep it out of client bundles.
  serverExternalPackages: ["proper-lockfile"],
};

export default nextConfig;
