import { takeToken, api, say, show, onSubmit, signIn } from './common.js';

const token = takeToken();

function joined(name, role) {
  document.getElementById('org-name').textContent = name;
  document.getElementById('org-role').textContent = role;
  ['signed-in', 'sign-in', 'register'].forEach((id) => show(id, false));
  show('joined');
}

async function accept({ justRegistered = false } = {}) {
  say('Accepting the invitation…');
  const result = await api('POST', '/auth/accept-invite', { json: { token } });
  if (result.ok) {
    const org = await api('GET', `/orgs/${result.body.organization_id}`);
    joined(org.ok ? org.body.name : `Organization ${result.body.organization_id}`, result.body.role);
    say('Invitation accepted.', 'success');
    return;
  }
  if (justRegistered) {
    // Registration itself accepts every invitation waiting for the new address.
    const orgs = await api('GET', '/orgs');
    if (orgs.ok && orgs.body.length > 0) {
      joined(orgs.body.map((org) => org.name).join(', '), 'as invited');
      say('Your new account accepted the invitations waiting for your address.', 'success');
      return;
    }
  }
  say(result.detail, 'error');
}

async function start() {
  if (!token) {
    say('This link has no invitation token. Open the link from the email again.', 'error');
    return;
  }
  const me = await api('GET', '/auth/me');
  if (me.ok) {
    document.getElementById('signed-in-email').textContent = me.body.email;
    show('signed-in');
  } else {
    show('sign-in');
    show('register');
  }
}

document.getElementById('accept').addEventListener('click', () => accept());

document.getElementById('other-account').addEventListener('click', async () => {
  await api('POST', '/auth/logout', { renew: false });
  show('signed-in', false);
  show('sign-in');
  show('register');
  say('Signed out. Sign in with the invited account.');
});

onSubmit(document.getElementById('sign-in-form'), async ({ email, password }) => {
  say('Signing in…');
  const result = await signIn(email, password);
  if (!result.ok) {
    say(result.detail, 'error');
    return;
  }
  await accept();
});

onSubmit(document.getElementById('register-form'), async ({ email, password, full_name: fullName }) => {
  say('Creating your account…');
  const body = { email, password };
  if (fullName) body.full_name = fullName;
  const result = await api('POST', '/auth/register', { json: body, renew: false });
  if (!result.ok) {
    say(result.detail, 'error');
    return;
  }
  await accept({ justRegistered: true });
});

start();
