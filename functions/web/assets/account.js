import { takeToken, api, say, show, onSubmit, signIn, formatTime } from './common.js';

// Nothing in this page's URL is meant to stay there.
takeToken();

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text;
  row.append(td);
  return td;
}

const SOURCES = { password: 'Sign-in', registration: 'Registration', refresh: 'Renewed sign-in' };

function renderProfile(user) {
  document.getElementById('profile-email').textContent = user.email;
  document.getElementById('profile-name').textContent = user.full_name || '—';
  document.getElementById('profile-role').textContent = user.role;
  document.getElementById('profile-since').textContent = formatTime(user.created_at);
  document.getElementById('profile-verified').textContent = user.is_verified ? 'Verified' : 'Not verified yet';
  show('resend', !user.is_verified);
}

async function loadSessions() {
  const result = await api('GET', '/auth/sessions');
  const body = document.getElementById('sessions-body');
  body.replaceChildren();
  if (!result.ok) {
    say(result.detail, 'error');
    return;
  }
  const others = result.body.filter((session) => !session.is_current).length;
  document.getElementById('revoke-others').disabled = others === 0;
  for (const session of result.body) {
    const row = document.createElement('tr');
    row.dataset.sessionId = session.id;
    cell(row, session.is_current ? 'This browser' : SOURCES[session.source] || session.source);
    cell(row, session.user_agent || '—');
    cell(row, session.ip || '—');
    cell(row, formatTime(session.created_at));
    cell(row, formatTime(session.last_used_at));
    const action = cell(row, '');
    if (!session.is_current) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'revoke';
      button.textContent = 'Revoke';
      button.setAttribute('aria-label', `Revoke the session started ${formatTime(session.created_at)}`);
      button.addEventListener('click', () => revoke(session.id, button));
      action.append(button);
    }
    body.append(row);
  }
}

async function revoke(id, button) {
  button.disabled = true;
  const result = await api('DELETE', `/auth/sessions/${encodeURIComponent(id)}`);
  if (result.ok) {
    say('Session revoked: it can no longer be used.', 'success');
  } else {
    say(result.detail, 'error');
  }
  await loadSessions();
}

async function loadOrgs() {
  const result = await api('GET', '/orgs');
  const list = document.getElementById('orgs-list');
  list.replaceChildren();
  if (!result.ok) {
    say(result.detail, 'error');
    return;
  }
  show('no-orgs', result.body.length === 0);
  for (const org of result.body) {
    const item = document.createElement('li');
    item.textContent = `${org.name} (${org.slug})`;
    list.append(item);
  }
}

async function load() {
  const me = await api('GET', '/auth/me');
  if (!me.ok) {
    show('account', false);
    show('sign-in');
    if (me.status !== 401) say(me.detail, 'error');
    return;
  }
  renderProfile(me.body);
  show('sign-in', false);
  show('account');
  await Promise.all([loadSessions(), loadOrgs()]);
}

onSubmit(document.getElementById('sign-in-form'), async ({ email, password }) => {
  say('Signing in…');
  const result = await signIn(email, password);
  if (!result.ok) {
    say(result.detail, 'error');
    document.getElementById('password').focus();
    return;
  }
  document.getElementById('sign-in-form').reset();
  say('Signed in.', 'success');
  await load();
  document.getElementById('account-heading').focus();
});

document.getElementById('resend').addEventListener('click', async (event) => {
  event.target.disabled = true;
  const result = await api('POST', '/auth/resend-verification');
  event.target.disabled = false;
  if (!result.ok) {
    say(result.detail, 'error');
  } else if (result.body.status === 'already_verified') {
    say('Your email address is already verified.', 'success');
    await load();
  } else {
    say('A new verification email is on its way.', 'success');
  }
});

document.getElementById('revoke-others').addEventListener('click', async () => {
  const result = await api('DELETE', '/auth/sessions');
  if (result.ok) {
    say(`Signed out everywhere else (${result.body.revoked} session${result.body.revoked === 1 ? '' : 's'}).`, 'success');
  } else {
    say(result.detail, 'error');
  }
  await loadSessions();
});

const passwordForm = document.getElementById('change-password-form');
onSubmit(passwordForm, async ({ current_password, new_password }) => {
  // The answer carries this session's new tokens (and cookies): the page stays signed in.
  const result = await api('POST', '/auth/change-password', { json: { current_password, new_password } });
  if (!result.ok) {
    say(result.detail, 'error');
    return;
  }
  passwordForm.reset();
  say('Password changed. Every other session was signed out.', 'success');
  await loadSessions();
});

const emailForm = document.getElementById('change-email-form');
onSubmit(emailForm, async ({ new_email, password }) => {
  const result = await api('POST', '/auth/change-email', { json: { new_email, password } });
  if (!result.ok) {
    say(result.detail, 'error');
    return;
  }
  emailForm.reset();
  say(`A confirmation link is on its way to ${new_email}. Your address changes once you open it.`, 'success');
});

const closeForm = document.getElementById('close-form');
onSubmit(closeForm, async ({ password }) => {
  const result = await api('DELETE', '/auth/me', { json: { password } });
  if (!result.ok) {
    say(result.detail, 'error');
    return;
  }
  closeForm.reset();
  show('account', false);
  show('sign-in');
  say('Your account is closed.', 'success');
});

document.getElementById('sign-out').addEventListener('click', async () => {
  await api('POST', '/auth/logout', { renew: false });
  show('account', false);
  show('sign-in');
  say('Signed out.', 'success');
});

load();
