/**
 * The browser app: one shell shared by every audience, one HTML entry per audience (today the
 * operator console; the consumers' and merchants' portal adds its own). The gateway serves the
 * hashed assets under /web/ and each entry page at its audience's path (src/http/web-app.ts).
 * No inline script or style reaches the output: the gateway's CSP forbids both.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root,
  base: "/web/",
  plugins: [react()],
  build: {
    outDir: path.resolve(root, "../../dist/web"),
    emptyOutDir: true,
    // Everything as files: no data: URIs and no inline module-preload helper.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // ethers (digests, ABI decoding) and React make one chunk of about 500 kB (150 kB gzipped).
    chunkSizeWarningLimit: 600,
    rollupOptions: { input: { console: path.resolve(root, "console/index.html"), portal: path.resolve(root, "portal/index.html") } },
  },
});
