import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { precompress } from './build/precompress';

// `npm run dev:web`: Vite with hot reload against a running system (`npm start`), whose gateway serves the API.
// The proxy rewrites Origin to the gateway's, so the CSRF check (Origin = WEB_ORIGIN) accepts the dev server's calls.
const gateway = process.env.HARNESS_GATEWAY_URL ?? 'http://localhost:3000';
const proxied = { target: gateway, changeOrigin: true, configure: (proxy: { on(event: 'proxyReq', fn: (req: { setHeader(n: string, v: string): void }) => void): void }) => {
  proxy.on('proxyReq', (req) => req.setHeader('origin', new URL(gateway).origin));
} };

export default defineConfig({
  plugins: [react(), precompress()],
  resolve: {
    // @ai-sdk/react pins its own patch release of `ai`: without this the chat chunk carries two copies of it.
    dedupe: ['ai'],
    // See build/zod-v3-kinds.ts: the only part of zod 3 the AI SDK reaches in the browser.
    alias: [{ find: /^zod\/v3$/, replacement: fileURLToPath(new URL('./build/zod-v3-kinds.ts', import.meta.url)) }],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // No inline scripts or data: URLs in the output: the gateway's CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    port: Number(process.env.WEB_DEV_PORT ?? 5173),
    proxy: { '/v1': proxied, '/auth': proxied, '/admin': proxied },
  },
});
