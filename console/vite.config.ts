import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The console is served by a branch's gateway at `/`; in development, `npm run dev` proxies the
// API to the gateway named by TIMEBANK_GATEWAY (default: north of `make up`).
const gateway = process.env.TIMEBANK_GATEWAY ?? 'http://127.0.0.1:8081';

export default defineConfig({
  plugins: [react()],
  build: { target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 900 },
  server: { proxy: { '/v1': gateway } },
  test: { include: ['src/**/*.test.ts', 'src/**/*.test.tsx'], environment: 'node' },
});
