//! Every message Gatehouse sends, in plain text and HTML. Links come from the settings
//! (`PUBLIC_URL`, or a per-kind URL template with `{token}`); every value put into the HTML is
//! escaped. The plain text also carries the bare token on a line of its own, for API clients.

use crate::config::MailSettings;
use crate::model::{MailContent, RenderedMail};

/// `{token}` in `template` replaced by the token, percent-encoded.
pub fn link(template: &str, token: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(token.as_bytes()).collect();
    template.replace("{token}", &encoded)
}

/// Text for HTML element content and double-quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One paragraph of a message: text, or a call to action with its link.
enum Part {
    Text(String),
    Action { label: String, url: String },
    Token { intro: String, token: String },
}

struct Message {
    subject: String,
    parts: Vec<Part>,
}

pub fn render(content: &MailContent, to: &str, settings: &MailSettings) -> RenderedMail {
    let message = compose(content, settings);
    let product = &settings.product_name;
    let mut text = String::new();
    let mut html = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family: sans-serif; line-height: 1.5; max-width: 36em\">\n",
        escape_html(&message.subject)
    );
    for part in &message.parts {
        match part {
            Part::Text(paragraph) => {
                text.push_str(paragraph);
                html.push_str(&format!("<p>{}</p>\n", escape_html(paragraph)));
            }
            Part::Action { label, url } => {
                text.push_str(&format!("{label}:\n\n{url}"));
                html.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>\n",
                    escape_html(url),
                    escape_html(label)
                ));
            }
            Part::Token { intro, token } => {
                text.push_str(&format!("{intro}\n\n{token}"));
                html.push_str(&format!(
                    "<p>{}<br><code>{}</code></p>\n",
                    escape_html(intro),
                    escape_html(token)
                ));
            }
        }
        text.push_str("\n\n");
    }
    text.push_str(&format!("— {product}\n"));
    html.push_str(&format!("<p>— {}</p>\n</body></html>\n", escape_html(product)));
    RenderedMail {
        to: to.to_string(),
        subject: message.subject,
        text,
        html,
    }
}

fn compose(content: &MailContent, settings: &MailSettings) -> Message {
    let product = &settings.product_name;
    let text = |s: String| Part::Text(s);
    match content {
        MailContent::Verification { token, expire_hours } => Message {
            subject: "Verify your email address".into(),
            parts: vec![
                text(format!("Welcome to {product}! Confirm your email address within {expire_hours} hours.")),
                Part::Action {
                    label: "Confirm your email address".into(),
                    url: link(&settings.verify_url, &token.0),
                },
                Part::Token {
                    intro: "Or send this token to POST /api/v1/auth/verify-email as {\"token\": \"...\"}:".into(),
                    token: token.0.clone(),
                },
                text(format!("If you did not sign up for {product}, ignore this message.")),
            ],
        },
        MailContent::PasswordReset { token, expire_minutes } => Message {
            subject: "Reset your password".into(),
            parts: vec![
                text(format!(
                    "Someone asked to reset your {product} password. If it was you, choose a new one within {expire_minutes} minutes."
                )),
                Part::Action {
                    label: "Choose a new password".into(),
                    url: link(&settings.reset_url, &token.0),
                },
                Part::Token {
                    intro: "Or send this token to POST /api/v1/auth/password-reset/confirm as {\"token\": \"...\", \"new_password\": \"...\"}:".into(),
                    token: token.0.clone(),
                },
                text("If it was not you, ignore this message: your password is unchanged.".into()),
            ],
        },
        MailContent::UnknownAccountReset => Message {
            subject: "Password reset requested".into(),
            parts: vec![
                text(format!(
                    "Someone asked to reset the {product} password of an account with this email address, but there is no active account for it."
                )),
                text("If it was not you, ignore this message.".into()),
            ],
        },
        MailContent::Invite {
            token,
            org_name,
            inviter,
            role,
            expires_at,
        } => Message {
            subject: format!("Invitation to {org_name}"),
            parts: vec![
                text(format!(
                    "{inviter} invites you to join {org_name} on {product} as {role}. The invitation is valid until {expires_at}."
                )),
                Part::Action {
                    label: format!("Join {org_name}"),
                    url: link(&settings.invite_url, &token.0),
                },
                Part::Token {
                    intro: "Register with this address, or sign in and send this token to POST /api/v1/auth/accept-invite as {\"token\": \"...\"}:".into(),
                    token: token.0.clone(),
                },
                text("If you do not know the sender, ignore this message.".into()),
            ],
        },
        MailContent::InviteToAccount {
            org_name,
            inviter,
            role,
            expires_at,
        } => Message {
            subject: format!("Invitation to {org_name}"),
            parts: vec![
                text(format!(
                    "{inviter} invites you to join {org_name} on {product} as {role}. The invitation is valid until {expires_at}."
                )),
                text(
                    "Sign in to accept or decline it (GET /api/v1/auth/invites). Until you accept, the organization sees only your user id."
                        .into(),
                ),
                text("If you do not know the sender, ignore this message.".into()),
            ],
        },
        MailContent::PasswordChanged {
            changed_at,
            kept_signed_in,
        } => Message {
            subject: "Your password was changed".into(),
            parts: vec![
                text(if *kept_signed_in {
                    format!(
                        "The password of your {product} account was changed at {changed_at} by someone signed in to it, and every other session was signed out."
                    )
                } else {
                    format!(
                        "The password of your {product} account was changed at {changed_at}, and every session was signed out."
                    )
                }),
                Part::Action {
                    label: "If it was not you, reset it now".into(),
                    url: format!("{}/reset", settings.public_url),
                },
            ],
        },
        MailContent::EmailChange { token, expire_hours } => Message {
            subject: "Confirm your new email address".into(),
            parts: vec![
                text(format!(
                    "Someone signed in to a {product} account asked to change its email address to this one. If it was you, confirm within {expire_hours} hours."
                )),
                Part::Action {
                    label: "Confirm your new email address".into(),
                    url: link(&settings.email_change_url, &token.0),
                },
                Part::Token {
                    intro: "Or send this token to POST /api/v1/auth/change-email/confirm as {\"token\": \"...\"}:".into(),
                    token: token.0.clone(),
                },
                text("If it was not you, ignore this message: no account changes without it.".into()),
            ],
        },
        MailContent::EmailChangeRequested { new_email } => Message {
            subject: "Your email address is about to change".into(),
            parts: vec![
                text(format!(
                    "Someone signed in to your {product} account asked to change its email address to {new_email}. The change happens once the link sent there is opened."
                )),
                Part::Action {
                    label: "If it was not you, reset your password now".into(),
                    url: format!("{}/reset", settings.public_url),
                },
            ],
        },
        MailContent::EmailChangeAddressTaken => Message {
            subject: "Email change requested".into(),
            parts: vec![
                text(format!(
                    "Someone asked to move another {product} account to this email address, but it already belongs to an account, so nothing changed."
                )),
                text("If it was not you, ignore this message.".into()),
            ],
        },
        MailContent::MfaEnabled { changed_at } => Message {
            subject: "Two-step sign-in was turned on".into(),
            parts: vec![
                text(format!(
                    "An authenticator app was added to your {product} account at {changed_at}: signing in now asks for its code after the password."
                )),
                text("If it was not you, reset your password and contact your administrator.".into()),
            ],
        },
        MailContent::MfaDisabled { changed_at, by_admin } => Message {
            subject: "Two-step sign-in was turned off".into(),
            parts: vec![
                text(if *by_admin {
                    format!(
                        "An administrator removed the authenticator app from your {product} account at {changed_at}, and every session was signed out."
                    )
                } else {
                    format!("The authenticator app was removed from your {product} account at {changed_at}.")
                }),
                Part::Action {
                    label: "If it was not you, reset your password now".into(),
                    url: format!("{}/reset", settings.public_url),
                },
            ],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MailSecret;
    use crate::Settings;

    fn settings() -> Settings {
        Settings::from_lookup(|key| match key {
            "TABLE_NAME" => Some("t".into()),
            "APP_ENV" => Some("dev".into()),
            "MAIL_PRODUCT_NAME" => Some("Acme <Auth>".into()),
            "PUBLIC_URL" => Some("https://auth.example.com".into()),
            "MAIL_INVITE_URL" => Some("https://app.example.com/join?org=1&token={token}".into()),
            _ => None,
        })
        .unwrap()
    }

    const TOKEN: &str = "abcDEF123-_abcDEF123-_abcDEF123-_abcDEF1234";

    fn every_kind() -> Vec<MailContent> {
        let token = || MailSecret(TOKEN.into());
        vec![
            MailContent::Verification {
                token: token(),
                expire_hours: 24,
            },
            MailContent::PasswordReset {
                token: token(),
                expire_minutes: 60,
            },
            MailContent::UnknownAccountReset,
            MailContent::Invite {
                token: token(),
                org_name: "Tom & Jerry's <b>Org</b>".into(),
                inviter: "boss@example.com".into(),
                role: "admin".into(),
                expires_at: "2026-12-11T12:00:00Z".into(),
            },
            MailContent::InviteToAccount {
                org_name: "Tom & Jerry's <b>Org</b>".into(),
                inviter: "boss@example.com".into(),
                role: "member".into(),
                expires_at: "2026-12-11T12:00:00Z".into(),
            },
            MailContent::PasswordChanged {
                changed_at: "2026-11-27T12:00:00Z".into(),
                kept_signed_in: false,
            },
            MailContent::EmailChange {
                token: token(),
                expire_hours: 24,
            },
            MailContent::EmailChangeRequested {
                new_email: "new<b>@example.com".into(),
            },
            MailContent::EmailChangeAddressTaken,
            MailContent::MfaEnabled {
                changed_at: "2026-11-27T12:00:00Z".into(),
            },
            MailContent::MfaDisabled {
                changed_at: "2026-11-27T12:00:00Z".into(),
                by_admin: true,
            },
        ]
    }

    #[test]
    fn every_template_renders_text_and_escaped_html() {
        let settings = settings();
        for content in every_kind() {
            let mail = render(&content, "jane@example.com", &settings.mail);
            assert!(!mail.subject.is_empty());
            assert!(mail.text.contains("Acme <Auth>"), "{}", mail.text);
            assert!(mail.html.contains("Acme &lt;Auth&gt;"), "{}", mail.html);
            assert!(!mail.html.contains("<Auth>"), "unescaped: {}", mail.html);
            assert!(!mail.html.contains("<b>Org</b>"), "unescaped: {}", mail.html);
            let carries_token = !matches!(
                content,
                MailContent::UnknownAccountReset
                    | MailContent::InviteToAccount { .. }
                    | MailContent::PasswordChanged { .. }
                    | MailContent::EmailChangeRequested { .. }
                    | MailContent::EmailChangeAddressTaken
                    | MailContent::MfaEnabled { .. }
                    | MailContent::MfaDisabled { .. }
            );
            assert_eq!(mail.text.contains(TOKEN), carries_token, "{}", mail.text);
            assert_eq!(mail.html.contains(TOKEN), carries_token, "{}", mail.html);
            if carries_token {
                // The bare token on a line of its own, for API clients.
                assert!(mail.text.lines().any(|l| l.trim() == TOKEN), "{}", mail.text);
            }
        }
    }

    #[test]
    fn links_follow_the_settings() {
        let settings = settings();
        let [verify, reset, _, invite, _, changed, email_change, requested, _, _, _] = every_kind().try_into().unwrap();
        let text = |c: &MailContent| render(c, "jane@example.com", &settings.mail).text;
        assert!(text(&verify).contains(&format!("https://auth.example.com/verify?token={TOKEN}")));
        assert!(text(&reset).contains(&format!("https://auth.example.com/reset?token={TOKEN}")));
        assert!(text(&invite).contains(&format!("https://app.example.com/join?org=1&token={TOKEN}")));
        let html = render(&invite, "jane@example.com", &settings.mail).html;
        assert!(
            html.contains(&format!(
                "href=\"https://app.example.com/join?org=1&amp;token={TOKEN}\""
            )),
            "{html}"
        );
        assert!(html.contains("Tom &amp; Jerry&#39;s &lt;b&gt;Org&lt;/b&gt;"), "{html}");
        assert!(text(&changed).contains("https://auth.example.com/reset"));
        assert!(text(&email_change).contains(&format!("https://auth.example.com/verify-email-change?token={TOKEN}")));
        assert!(text(&requested).contains("new<b>@example.com"));
        let html = render(&requested, "jane@example.com", &settings.mail).html;
        assert!(html.contains("new&lt;b&gt;@example.com"), "{html}");
    }

    #[test]
    fn debug_output_hides_tokens_and_bodies() {
        let settings = settings();
        for content in every_kind() {
            assert!(!format!("{content:?}").contains(TOKEN));
            let mail = render(&content, "jane@example.com", &settings.mail);
            assert!(!format!("{mail:?}").contains(TOKEN));
        }
    }
}
