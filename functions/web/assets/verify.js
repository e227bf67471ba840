import { takeToken, api, say, show } from './common.js';

const token = takeToken();

async function verify() {
  if (!token) {
    say('This link has no verification token. Open the link from the email again.', 'error');
    return;
  }
  say('Verifying your email address…');
  const result = await api('POST', '/auth/verify-email', { json: { token } });
  if (result.ok) {
    say('Your email address is verified.', 'success');
    show('next');
  } else {
    say(`${result.detail} Sign in to your account to send a new link.`, 'error');
    show('next');
  }
}

verify();
