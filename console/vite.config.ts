import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The console is served by a branch's gateway at `/`, its API reference page at `/docs`; in
// development, `npm run dev` proxies the API to the gateway named by TIMEBANK_GATEWAY (default:
// north of `make up`).
const gateway = process.env.TIMEBANK_GATEWAY ?? 'http://127.0.0.1:8081';
const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig({
  plugins: [react()],
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 900,
    rolldownOptions: { input: { main: page('index.html'), docs: page('docs.html') } },
  },
  server: { proxy: { '/v1': gateway, '/openapi.json': gateway } },
  test: { include: ['src/**/*.test.ts', 'src/**/*.test.tsx'], environment: 'node' },
});
