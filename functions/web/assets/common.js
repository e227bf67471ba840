// What every page shares: the one-time token from the URL, calls to the API, status messages.

/** The `token` query parameter of the URL this page was opened with; the URL loses it at once, so
 *  it stays out of the history, bookmarks and anything the page loads later. */
export function takeToken() {
  const token = new URLSearchParams(window.location.search).get('token');
  if (window.location.search || window.location.hash) {
    window.history.replaceState(null, '', window.location.pathname);
  }
  return token && token.trim() ? token.trim() : null;
}

/** Calls `/api/v1<path>` on this origin with the session cookie. `json` bodies go as JSON, `form`
 *  bodies form-encoded (the OAuth2 token endpoint). Resolves to {ok, status, body, detail}; never
 *  throws. An expired session is renewed once with the refresh cookie. */
export async function api(method, path, { json, form, renew = true } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(form).toString();
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch {
    return { ok: false, status: 0, body: null, detail: 'Gatehouse could not be reached. Check your connection and try again.' };
  }
  if (response.status === 401 && renew && (await renewSession())) {
    return api(method, path, { json, form, renew: false });
  }
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, body, detail: describe(response, body) };
}

async function renewSession() {
  try {
    const response = await fetch('/api/v1/auth/refresh', { method: 'POST', credentials: 'same-origin' });
    return response.ok;
  } catch {
    return false;
  }
}

function describe(response, body) {
  if (response.status === 429) {
    const wait = response.headers.get('Retry-After');
    return `Too many attempts. Try again${wait ? ` in ${wait} seconds` : ' later'}.`;
  }
  if (body && typeof body.detail === 'string') return body.detail;
  if (body && Array.isArray(body.detail)) return body.detail.map((error) => error.msg).join(' ');
  return response.ok ? '' : `Something went wrong (HTTP ${response.status}).`;
}

/** Shows `text` in the page's status region (`#status`) or, for errors, its alert region. */
export function say(text, kind = 'info') {
  const status = document.getElementById('status');
  const alert = document.getElementById('alert');
  status.textContent = kind === 'error' ? '' : text;
  alert.textContent = kind === 'error' ? text : '';
  status.dataset.kind = kind;
}

export function show(id, visible = true) {
  document.getElementById(id).hidden = !visible;
}

/** The values of a form's named fields. */
export function fields(form) {
  return Object.fromEntries(new FormData(form).entries());
}

/** Runs `handler` on submit, with the form's button disabled meanwhile. */
export function onSubmit(form, handler) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const buttons = form.querySelectorAll('button');
    buttons.forEach((button) => { button.disabled = true; });
    try {
      await handler(fields(form));
    } finally {
      buttons.forEach((button) => { button.disabled = false; });
    }
  });
}

/** Signs in with the OAuth2 password grant; the API sets the session cookies. */
export function signIn(email, password) {
  return api('POST', '/auth/token', { form: { username: email, password }, renew: false });
}

export function formatTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}
