import { takeToken, api, say, show, onSubmit, signIn } from './common.js';

const token = takeToken();

/** Shows the organizations joined: [{name, role}]. */
function joined(orgs) {
  document.getElementById('org-name').textContent = orgs.map((org) => org.name).join(', ');
  document.getElementById('org-role').textContent = orgs.map((org) => org.role).join(', ');
  ['signed-in', 'sign-in', 'register'].forEach((id) => show(id, false));
  show('joined');
}

async function orgName(id) {
  const org = await api('GET', `/orgs/${id}`);
  return org.ok ? org.body.name : `Organization ${id}`;
}

/** The organizations `userId` belongs to, with the role in each. */
async function memberships(userId) {
  const orgs = await api('GET', '/orgs');
  if (!orgs.ok) return [];
  return Promise.all(orgs.body.map(async (org) => {
    const members = await api('GET', `/orgs/${org.id}/members`);
    const me = members.ok ? members.body.find((member) => member.user_id === userId) : null;
    return { name: org.name, role: me ? me.role : 'member' };
  }));
}

async function accept(newUser = null) {
  say('Accepting the invitation…');
  const result = await api('POST', '/auth/accept-invite', { json: { token } });
  if (result.ok) {
    joined([{ name: await orgName(result.body.organization_id), role: result.body.role }]);
    say('Invitation accepted.', 'success');
    return;
  }
  if (newUser) {
    // Registration itself accepts every invitation waiting for the new address.
    const orgs = await memberships(newUser.id);
    if (orgs.length > 0) {
      joined(orgs);
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
  await accept(result.body);
});

start();
