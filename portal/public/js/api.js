// @ts-check
// The HTTP API of the service (same origin, absolute /api/ paths) and the sign-in handshake.

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || null;
    this.details = Array.isArray(error.details) ? error.details : [];
  }
}

// Sign-in, the same in Azure and under `make run`: `/.auth/me` says who is signed in (401 or `[]`
// when nobody is), and `/.auth/login/aad` signs in and comes back to `post_login_redirect_uri`:
// App Service Authentication in Azure, the local host's form (`devhost/dev_auth.py`) locally.
const LOGIN_URL = "/.auth/login/aad";
// When this tab last went to sign in: coming back still signed out must not start a loop.
const SIGN_IN_STARTED_KEY = "portal:sign-in-started";
const SIGN_IN_LOOP_MS = 15000;
let signInStarted = false;

function problem(kind) {
  document.dispatchEvent(new CustomEvent("portal:auth-problem", { detail: kind }));
}

function remembered(action) {
  try { return action(window.sessionStorage); } catch { return null; }
}

/** The page to come back to after signing in: this one, query and hash included (a lead link). */
function returnPath() {
  return `${location.pathname}${location.search}${location.hash}`;
}

/** Where to sign in and come back to this page. */
export function signInUrl() {
  return `${LOGIN_URL}?post_login_redirect_uri=${encodeURIComponent(returnPath())}`;
}

/** Send the browser to sign in, to come back to this page. */
function goSignIn() {
  if (signInStarted) return;
  const last = Number(remembered((store) => store.getItem(SIGN_IN_STARTED_KEY)) || 0);
  if (Date.now() - last < SIGN_IN_LOOP_MS) {
    problem("signedOut");
    return;
  }
  signInStarted = true;
  remembered((store) => store.setItem(SIGN_IN_STARTED_KEY, String(Date.now())));
  location.assign(signInUrl());
}

function userFrom(entry, local) {
  const claims = entry.user_claims || [];
  const values = (...types) => claims.filter((c) => types.includes(c.typ)).map((c) => c.val);
  return {
    name: values("name")[0] || entry.user_id,
    email: values("preferred_username", "email")[0] || null,
    roles: values("roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"),
    local,
  };
}

/** `/.auth/me`: `{ state: "signedIn", user }`, `{ state: "signedOut" }` or `{ state: "unavailable" }`. */
async function readSession() {
  let response;
  try {
    response = await fetch("/.auth/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    return { state: "unavailable" };
  }
  // Easy Auth answers 401 for nobody signed in where sign-in is required, `[]` where it is not.
  if (response.status === 401) return { state: "signedOut" };
  if (!response.ok) return { state: "unavailable" };
  let me = null;
  try { me = await response.json(); } catch { /* treated as signed out */ }
  if (!Array.isArray(me) || me.length === 0) return { state: "signedOut" };
  remembered((store) => store.removeItem(SIGN_IN_STARTED_KEY));
  return { state: "signedIn", user: userFrom(me[0], response.headers.has("X-Dev-Auth-Login")) };
}

/** A 401 from the API: sign in if nobody is, or say why signing in cannot help. */
async function handleUnauthenticated() {
  const session = await readSession();
  if (session.state === "signedOut") goSignIn();
  else problem(session.state === "signedIn" ? "signedInWithoutAccess" : "unavailable");
}

/**
 * Call the API. Resolves to `{ body, etag, status }`; rejects with ApiError.
 * @param {string} path
 * @param {{ method?: string, body?: unknown, etag?: string | null, signal?: AbortSignal }} [options]
 */
export async function api(path, { method = "GET", body, etag, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (etag) headers["If-Match"] = etag;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    signal,
  });
  let parsed = null;
  if (response.status !== 204) {
    const text = await response.text();
    if (text) {
      try { parsed = JSON.parse(text); } catch { parsed = null; }
    }
  }
  if (response.status === 401) {
    handleUnauthenticated();
  }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return { body: parsed, etag: response.headers.get("ETag") || (parsed && parsed.eTag) || null, status: response.status };
}

/** The signed-in user, or null; a signed-out visit goes to sign in and comes back to this page. */
export async function currentUser() {
  const session = await readSession();
  if (session.state === "signedOut") goSignIn();
  return session.state === "signedIn" ? session.user : null;
}

export const leadPath = (id, suffix = "") => `/api/leads/${encodeURIComponent(id)}${suffix}`;
