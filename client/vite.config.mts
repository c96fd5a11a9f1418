import path from 'node:path';
import { defineConfig } from 'vite';

const clientDir = __dirname;
const repoRoot = path.resolve(clientDir, '..');
// `npm run dev:client` talks to a gateway started separately (`npm start`, port 3000 by default).
const gateway = process.env.HEARTH_GATEWAY_URL ?? 'http://localhost:3000';

export default defineConfig({
  root: clientDir,
  base: '/',
  build: {
    outDir: path.join(clientDir, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
    // Two pages: the call client and the operators' page (served by the gateway at /admin.html).
    rolldownOptions: {
      input: {
        main: path.join(clientDir, 'index.html'),
        admin: path.join(clientDir, 'admin.html'),
      },
    },
  },
  server: {
    port: 5173,
    // The client imports the event catalogue from ../src/signaling.
    fs: { allow: [repoRoot] },
    proxy: {
      '/api': { target: gateway, changeOrigin: true },
      '/socket.io': { target: gateway, ws: true, changeOrigin: true },
    },
  },
});
