// The HTTP API as the page uses it: sign-in, JSON calls with problem+json errors, and a multipart upload with progress.

/** An error answer (application/problem+json) from the API. */
export class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

const session = { user: null, token: null, attempt: 0 };

/** The headers that sign a request in: the bearer token from sign-in. */
function authHeaders() {
  return session.token ? { Authorization: `Bearer ${session.token}` } : {};
}

/**
 * Development sign-in: POST /api/auth/login with the code "dev:<name>" (what wx.login's code is in production).
 * Resolves to null when a later sign-in started before this one answered (the later one wins).
 */
export async function signIn(user) {
  const attempt = ++session.attempt;
  session.user = user;
  session.token = null;
  const response = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: `dev:${user}` }),
  });
  if (attempt !== session.attempt) return null;
  if (response.ok) {
    const body = await response.json();
    session.token = body.token;
    return { user, mode: 'bearer token', userId: body.userId, expiresAt: body.expiresAt };
  }
  session.user = null;
  throw new ApiProblem(response.status, await readProblem(response));
}

export const isSignedIn = () => session.user !== null;

async function readProblem(response) {
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try { return await response.json(); } catch { /* fall through */ }
  }
  return { title: response.statusText, status: response.status };
}

/** A JSON call; throws ApiProblem for an error answer. 304 answers resolve to null. */
export async function api(method, path, body, extraHeaders = {}) {
  const headers = { ...authHeaders(), ...extraHeaders };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 304) return { status: 304, body: null, headers: response.headers };
  if (!response.ok) throw new ApiProblem(response.status, await readProblem(response));
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

/** POST the file as multipart/form-data (as wx.uploadFile does), reporting upload progress as 0–100. */
export function uploadFile(videoId, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/uploads/${encodeURIComponent(videoId)}/file`);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = e => { if (e.lengthComputable) onProgress((100 * e.loaded) / e.total); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) { onProgress(100); resolve(body); } else reject(new ApiProblem(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiProblem(0, { title: 'The upload failed (network).' }));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** POST a photo for a render as multipart/form-data (as wx.uploadFile does); the stored photo's description. */
export async function uploadImage(file) {
  const form = new FormData();
  form.append('file', file, file.name);
  const response = await fetch('/api/images', { method: 'POST', headers: authHeaders(), body: form });
  if (!response.ok) throw new ApiProblem(response.status, await readProblem(response));
  return response.json();
}

/** A client-generated event id (the events API de-duplicates on it). */
export const eventId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);
