import { takeToken, api, say, show } from './common.js';

const token = takeToken();

async function confirm() {
  if (!token) {
    say('This link has no confirmation token. Open the link from the email again.', 'error');
    return;
  }
  say('Moving your account to this email address…');
  const result = await api('POST', '/auth/change-email/confirm', { json: { token } });
  if (result.ok) {
    say('Your account now uses this email address. Sign in with it from now on.', 'success');
  } else {
    say(`${result.detail} Sign in to your account to ask for a new link.`, 'error');
  }
  show('next');
}

confirm();
