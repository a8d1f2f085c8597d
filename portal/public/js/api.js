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

let signInStarted = false;

/** Where to sign in, decided by asking `/.auth/me`: Easy Auth in Azure, the devhost's form locally. */
async function signInTarget() {
  const here = `${location.pathname}${location.search}${location.hash}`;
  let response;
  try {
    response = await fetch("/.auth/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    return { kind: "unavailable" };
  }
  if (!response.ok) return { kind: "unavailable" };
  let me = [];
  try { me = await response.json(); } catch { /* treated as signed out */ }
  if (Array.isArray(me) && me.length > 0) return { kind: "signedInWithoutAccess" };
  const localLogin = response.headers.get("X-Dev-Auth-Login");
  const base = localLogin || "/.auth/login/aad";
  return { kind: "redirect", url: `${base}?post_login_redirect_uri=${encodeURIComponent(here)}` };
}

/** A 401 from the API: send the browser to sign in, or say why that cannot help. */
async function handleUnauthenticated() {
  if (signInStarted) return;
  signInStarted = true;
  const target = await signInTarget();
  if (target.kind === "redirect") {
    location.assign(target.url);
  } else {
    signInStarted = false;
    document.dispatchEvent(new CustomEvent("portal:auth-problem", { detail: target.kind }));
  }
}

/** Call the API. Resolves to `{ body, etag, status }`; rejects with ApiError. */
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

/** The signed-in user from `/.auth/me` (Easy Auth or the devhost), or null. */
export async function currentUser() {
  try {
    const response = await fetch("/.auth/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return null;
    const me = await response.json();
    if (!Array.isArray(me) || me.length === 0) return null;
    const claims = me[0].user_claims || [];
    const values = (...types) => claims.filter((c) => types.includes(c.typ)).map((c) => c.val);
    return {
      name: values("name")[0] || me[0].user_id,
      email: values("preferred_username", "email")[0] || null,
      roles: values("roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"),
      local: response.headers.has("X-Dev-Auth-Login"),
    };
  } catch {
    return null;
  }
}

export const leadPath = (id, suffix = "") => `/api/leads/${encodeURIComponent(id)}${suffix}`;
