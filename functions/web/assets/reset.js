import { takeToken, api, say, show, onSubmit } from './common.js';

const token = takeToken();
const form = document.getElementById('reset-form');

if (!token) {
  show('reset-form', false);
  say('This link has no reset token. Ask for a new password reset email.', 'error');
}

onSubmit(form, async ({ new_password: password, confirm }) => {
  if (password !== confirm) {
    say('The two passwords differ.', 'error');
    document.getElementById('confirm').focus();
    return;
  }
  say('Saving your new password…');
  const result = await api('POST', '/auth/password-reset/confirm', {
    json: { token, new_password: password },
    renew: false,
  });
  if (result.ok) {
    form.reset();
    show('reset-form', false);
    show('done');
    say('Your password has been changed. Every session was signed out: sign in again with the new password.', 'success');
  } else {
    say(result.detail, 'error');
    document.getElementById('new_password').focus();
  }
});
