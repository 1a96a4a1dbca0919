// The API reference page (`/docs`): the gateway's /openapi.json, rendered by the console's own
// code from this origin, under the console's content security policy — no script from elsewhere
// runs where a wallet is connected.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nProvider } from '../i18n/i18n';
import '../styles.css';
import { ApiReference } from './ApiReference';

const root = document.getElementById('root');
if (!root) throw new Error('no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: 1, staleTime: Infinity } } })}>
      <I18nProvider>
        <ApiReference />
      </I18nProvider>
    </QueryClientProvider>
  </StrictMode>,
);
