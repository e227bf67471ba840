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
  renderSecondFactor(user.mfa_enabled);
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

async function signedIn() {
  say('Signed in.', 'success');
  await load();
  document.getElementById('account-heading').focus();
}

// Sign-in, step two: the challenge the password step answered, while it is being answered.
let mfaToken = null;
// What POST /auth/mfa/verify answers when the challenge is spent or past its 5 minutes
// (INVALID_CHALLENGE in shared/src/domain/mfa.rs): only the password step starts a new one.
const CHALLENGE_GONE = 'Invalid or expired MFA token';

const signInForm = document.getElementById('sign-in-form');
const secondStepForm = document.getElementById('second-step-form');

function showSecondStep(visible) {
  signInForm.hidden = visible;
  secondStepForm.hidden = !visible;
  if (!visible) mfaToken = null;
}

/** The second step asks for the authenticator's code, or for a recovery code; the other field
 *  is disabled, so that it neither blocks the form nor goes with it. */
function askForRecoveryCode(recovery) {
  for (const [id, visible] of [['totp-answer', !recovery], ['recovery-answer', recovery]]) {
    const answer = document.getElementById(id);
    answer.hidden = !visible;
    answer.querySelector('input').disabled = !visible;
  }
  document.getElementById('switch-answer').textContent = recovery
    ? 'Use the code from your authenticator app instead'
    : 'Use a recovery code instead';
  document.getElementById(recovery ? 'recovery-code' : 'totp-code').focus();
}

onSubmit(signInForm, async ({ email, password }) => {
  say('Signing in…');
  const result = await signIn(email, password);
  if (result.status === 401 && result.body && result.body.mfa_token) {
    mfaToken = result.body.mfa_token;
    document.getElementById('password').value = '';
    secondStepForm.reset();
    showSecondStep(true);
    say('Password accepted. Now the second step.');
    askForRecoveryCode(false);
    return;
  }
  if (!result.ok) {
    say(result.detail, 'error');
    document.getElementById('password').focus();
    return;
  }
  signInForm.reset();
  await signedIn();
});

onSubmit(secondStepForm, async ({ code, recovery_code }) => {
  say('Checking the code…');
  const answer = code !== undefined ? { code } : { recovery_code };
  const result = await api('POST', '/auth/mfa/verify', { json: { mfa_token: mfaToken, ...answer }, renew: false });
  if (result.status === 401 && result.detail === CHALLENGE_GONE) {
    showSecondStep(false);
    say('This sign-in has expired: enter your password again.', 'error');
    document.getElementById('password').focus();
    return;
  }
  if (!result.ok) {
    say(result.detail, 'error');
    const field = document.getElementById(code !== undefined ? 'totp-code' : 'recovery-code');
    field.select();
    field.focus();
    return;
  }
  showSecondStep(false);
  signInForm.reset();
  secondStepForm.reset();
  await signedIn();
});

document.getElementById('switch-answer').addEventListener('click', () => {
  askForRecoveryCode(document.getElementById('recovery-answer').hidden);
});

document.getElementById('start-over').addEventListener('click', () => {
  showSecondStep(false);
  say('');
  document.getElementById('password').focus();
});

// Two-step sign-in --------------------------------------------------------------------------------

function renderSecondFactor(enabled) {
  document.getElementById('mfa-state').textContent = enabled
    ? 'On: signing in asks for a code from your authenticator app after the password.'
    : 'Off: your password alone signs you in.';
  show('mfa-on', enabled);
  show('mfa-off', !enabled);
}

/** The SVG document `svg` as a `data:` URL for an `<img>`, in which it can run no script and
 *  load nothing. */
function svgDataUrl(svg) {
  let binary = '';
  for (const byte of new TextEncoder().encode(svg)) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

function showRecoveryCodes(codes) {
  const list = document.getElementById('recovery-codes-list');
  list.replaceChildren(...codes.map((code) => {
    const item = document.createElement('li');
    item.textContent = code;
    return item;
  }));
  show('recovery-codes');
  document.getElementById('recovery-codes-heading').focus();
}

/** Hides, and drops from the page, the secrets shown once (an enrolment's key, the recovery
 *  codes); the set-up form comes back in place of the enrolment. */
function forgetSecondFactorSecrets() {
  document.getElementById('mfa-qr').removeAttribute('src');
  document.getElementById('mfa-secret').textContent = '';
  show('mfa-enrolment', false);
  show('mfa-setup-form');
  document.getElementById('recovery-codes-list').replaceChildren();
  show('recovery-codes', false);
}

const setupForm = document.getElementById('mfa-setup-form');
onSubmit(setupForm, async ({ password }) => {
  say('Setting up…');
  const result = await api('POST', '/auth/mfa/totp', { json: { password } });
  if (!result.ok) {
    say(result.detail, 'error');
    return;
  }
  setupForm.reset();
  show('mfa-setup-form', false);
  document.getElementById('mfa-qr').src = svgDataUrl(result.body.qr_svg);
  document.getElementById('mfa-secret').textContent = result.body.secret;
  show('mfa-enrolment');
  say('Scan the QR code, then enter the code your app shows.');
  document.getElementById('mfa-confirm-code').focus();
});

const confirmForm = document.getElementById('mfa-confirm-form');
onSubmit(confirmForm, async ({ code }) => {
  const result = await api('POST', '/auth/mfa/totp/confirm', { json: { code } });
  if (!result.ok) {
    say(result.detail, 'error');
    return;
  }
  confirmForm.reset();
  forgetSecondFactorSecrets();
  renderSecondFactor(true);
  say('Two-step sign-in is on.', 'success');
  showRecoveryCodes(result.body.recovery_codes);
});

document.getElementById('mfa-new-codes').addEventListener('click', async (event) => {
  event.target.disabled = true;
  const result = await api('POST', '/auth/mfa/recovery-codes');
  event.target.disabled = false;
  if (!result.ok) {
    say(result.detail, 'error');
    return;
  }
  say('New recovery codes made: the earlier ones no longer work.', 'success');
  showRecoveryCodes(result.body.recovery_codes);
});

document.getElementById('mfa-turn-off').addEventListener('click', async (event) => {
  event.target.disabled = true;
  const result = await api('DELETE', '/auth/mfa/totp');
  event.target.disabled = false;
  if (!result.ok) {
    say(result.detail, 'error');
    return;
  }
  forgetSecondFactorSecrets();
  renderSecondFactor(false);
  say('Two-step sign-in is off: your password alone signs you in.', 'success');
});

document.getElementById('recovery-codes-stored').addEventListener('click', () => {
  forgetSecondFactorSecrets();
  document.getElementById('mfa-heading').focus();
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
  forgetSecondFactorSecrets();
  show('account', false);
  show('sign-in');
  say('Your account is closed.', 'success');
});

document.getElementById('sign-out').addEventListener('click', async () => {
  await api('POST', '/auth/logout', { renew: false });
  forgetSecondFactorSecrets();
  show('account', false);
  show('sign-in');
  say('Signed out.', 'success');
});

load();
