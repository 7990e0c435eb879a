/**
 * Requests to the server's API (same origin as the page), with the token when there is one. The token lives
 * in this tab's session storage only: never in the URL, never in local storage.
 */

const TOKEN_KEY = 'sandbox-executor-token';

/** The API's base path on the page's origin: the server writes it into the page (its `basePath`). */
export const API_BASE = document.querySelector<HTMLMetaElement>('meta[name="sandbox-executor-api"]')?.content || '/api/sandbox';

/** The server refused the token (or its absence): the page must ask for one. */
export class UnauthorizedError extends Error {
  constructor() {
    super('This server needs a token.');
    this.name = 'UnauthorizedError';
  }
}

/** An error answer of the API, with its code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeToken(token: string | undefined): void {
  try {
    if (token === undefined) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage disabled: the token then lasts as long as the page.
  }
  memoryToken = token;
}

let memoryToken: string | undefined;

export function currentToken(): string | undefined {
  return storedToken() ?? memoryToken;
}

export function authHeaders(): Record<string, string> {
  const token = currentToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Sends a request to the API and returns its JSON answer. */
export async function api<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`${API_BASE}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...authHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (response.status === 401) throw new UnauthorizedError();
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'BAD_ANSWER', `The server answered ${response.status} with something other than JSON.`);
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } }).error ?? {};
    throw new ApiError(response.status, error.code ?? 'ERROR', error.message ?? `The server answered ${response.status}.`, error as Record<string, unknown>);
  }
  return json as T;
}
