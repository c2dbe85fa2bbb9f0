// The backend's HTTP API through wx.request, typed by api/schema.d.ts (generated from the app's OpenAPI document).
import type { components, paths } from '../../api/schema';
import { API_BASE } from '../config';

export type Schemas = components['schemas'];
export type Problem = Schemas['ProblemDetails'];

type Method = 'get' | 'post' | 'put' | 'delete';
type Operation<P extends keyof paths, M extends Method> = M extends keyof paths[P] ? NonNullable<paths[P][M]> : never;

/** The JSON body of an operation's 2xx answer (the first one it documents). */
type Answer<O> = O extends { responses: infer R }
  ? R extends { 200: { content: { 'application/json': infer B } } } ? B
    : R extends { 201: { content: { 'application/json': infer B } } } ? B
      : R extends { 202: { content: { 'application/json': infer B } } } ? B
        : never
  : never;

/** The JSON request body of an operation, or undefined when it takes none. */
type Body<O> = O extends { requestBody: { content: { 'application/json': infer B } } } ? B
  : O extends { requestBody?: { content: { 'application/json': infer B } } } ? B | undefined
    : undefined;

/** An error answer: application/problem+json with a stable `type`. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Problem | undefined) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
}

/**
 * POST /api/auth/login's answer as the document describes it. The sign-in endpoint is landing in the API alongside this
 * sample: until the committed document lists it, the shape the identity area returns stands in.
 */
type LoginPath = Extract<'/api/auth/login', keyof paths>;
type LoginAnswer = [LoginPath] extends [never] ? { token: string; expiresAt: string; userId: string } : Answer<Operation<LoginPath, 'post'>>;

const TOKEN_KEY = 'auth.token';
interface StoredToken { token: string; expiresAt: string; userId: string }

function storedToken(): StoredToken | undefined {
  const stored = wx.getStorageSync(TOKEN_KEY) as StoredToken | '';
  return stored && Date.parse(stored.expiresAt) > Date.now() + 60_000 ? stored : undefined;
}

/** wx.login's code for the backend's bearer token (POST /api/auth/login); the user id comes from WeChat, never from us. */
export async function signIn(): Promise<StoredToken> {
  const { code } = await wx.login();
  const answer = await send<LoginAnswer>('POST', '/api/auth/login', { code }, false);
  const token: StoredToken = { token: answer.token, expiresAt: answer.expiresAt, userId: answer.userId };
  wx.setStorageSync(TOKEN_KEY, token);
  return token;
}

/** The Authorization header, signing in first when there is no live token. */
export async function authorization(): Promise<string> {
  const token = storedToken() ?? (await signIn());
  return `Bearer ${token.token}`;
}

function send<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, data: unknown, auth: boolean, header: Record<string, string> = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const go = (authHeader?: string) => wx.request({
      url: API_BASE + url,
      method,
      data: data as WechatMiniprogram.IAnyObject | undefined,
      header: { 'content-type': 'application/json', ...header, ...(authHeader ? { Authorization: authHeader } : {}) },
      success: res => (res.statusCode >= 200 && res.statusCode < 300) || res.statusCode === 304
        ? resolve(res.data as T)
        : reject(new ApiError(res.statusCode, res.data as Problem)),
      fail: err => reject(new ApiError(0, { title: err.errMsg })),
    });
    if (auth) authorization().then(go, reject);
    else go();
  });
}

/**
 * A typed call: the path is one the document lists (with its parameters filled in), the body and the answer are the
 * operation's. A 401 clears the stored token and signs in once more.
 */
export async function call<P extends keyof paths, M extends Method>(
  method: M,
  path: P,
  params: Record<string, string>,
  body?: Body<Operation<P, M>>,
  query?: Record<string, string | number | undefined>,
): Promise<Answer<Operation<P, M>>> {
  let url: string = path;
  for (const [name, value] of Object.entries(params)) url = url.replace(`{${name}}`, encodeURIComponent(value));
  const search = Object.entries(query ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');
  if (search) url += `?${search}`;
  const verb = method.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'DELETE';
  try {
    return await send<Answer<Operation<P, M>>>(verb, url, body, true);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      wx.removeStorageSync(TOKEN_KEY);
      return send<Answer<Operation<P, M>>>(verb, url, body, true);
    }
    throw error;
  }
}

/** What a raw request answered: its status (0 when the network failed) and body. */
export interface RawAnswer { status: number; data: unknown; header: Record<string, string> }

/**
 * A request with a binary body (a chunk of an upload), authorised, with WeChat's longest timeout. Never rejects: the
 * caller decides what to retry from the status.
 */
export async function putBytes(url: string, body: ArrayBuffer, header: Record<string, string>): Promise<RawAnswer> {
  const authHeader = await authorization();
  return new Promise<RawAnswer>(resolve => {
    wx.request({
      url: API_BASE + url,
      method: 'PUT',
      data: body,
      timeout: 60_000,
      header: { 'content-type': 'application/octet-stream', ...header, Authorization: authHeader },
      success: res => resolve({ status: res.statusCode, data: res.data, header: res.header as Record<string, string> }),
      fail: () => resolve({ status: 0, data: undefined, header: {} }),
    });
  });
}

export { API_BASE };
