// The branch gateway's API on the console's own origin, typed from its OpenAPI document.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../generated/api';
import type { ErrorBody } from './types';

/** An answer the gateway refused or could not give: its status, code and reason. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiFailure';
  }
}

// The session's bearer token, in this page's memory only: a reload signs in again (the wallet
// that signs writes must be there anyway), and nothing in storage outlives the tab.
let token: string | null = null;

export function setToken(next: string | null) {
  token = next;
}

export function getToken(): string | null {
  return token;
}

const auth: Middleware = {
  onRequest({ request }) {
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? 'http://localhost' });
api.use(auth);

/** The data of an openapi-fetch answer, or an `ApiFailure` with the gateway's reason. */
export async function ok<T>(answer: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await answer;
  if (!response.ok) {
    const body =
      error && typeof error === 'object' && 'code' in error
        ? (error as ErrorBody)
        : { code: 'unknown', message: typeof error === 'string' ? error : response.statusText };
    throw new ApiFailure(response.status, body);
  }
  return data as T;
}
