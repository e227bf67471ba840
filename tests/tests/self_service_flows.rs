//! Self-service over the running stack, as a client does it: change the password and sign in
//! with the new one, change the email address with the link maildev received, close the account.

use blackbox::{token_from_mail, unique_email, wait_for_mail, Api, Reply};
use serde_json::json;

const PASSWORD: &str = "Secret1234!";
const NEW_PASSWORD: &str = "NewSecret5678!";

/// The addresses and passwords here need no escaping in a form (as in the seed doc's curl lines).
fn sign_in(api: &Api, email: &str, password: &str) -> Reply {
    api.post_form("/api/v1/auth/token", &format!("username={email}&password={password}"))
}

fn access_token(reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["access_token"].as_str().unwrap().to_string()
}

fn post_json_as(api: &Api, path: &str, bearer: &str, body: serde_json::Value) -> Reply {
    api.request(
        "POST",
        path,
        Some("application/json"),
        Some(bearer),
        Some(&body.to_string()),
    )
}

#[test]
fn change_the_password_then_the_email_then_close_the_account() {
    // Five sign-ins in all: the login limit of one client address.
    let api = Api::new();
    let email = unique_email("self");
    let registered = api.post_json(
        "/api/v1/auth/register",
        &json!({ "email": email, "password": PASSWORD }).to_string(),
    );
    assert_eq!(registered.status, 200, "{:?}", registered.body);
    let here = access_token(&sign_in(&api, &email, PASSWORD));
    let elsewhere = access_token(&sign_in(&api, &email, PASSWORD));

    // Change the password: this client gets a new pair, every other session ends.
    let changed = post_json_as(
        &api,
        "/api/v1/auth/change-password",
        &here,
        json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
    );
    let here = access_token(&changed);
    assert_eq!(api.get("/api/v1/auth/me", &here).status, 200);
    assert_eq!(api.get("/api/v1/auth/me", &elsewhere).status, 401);
    assert_eq!(sign_in(&api, &email, PASSWORD).status, 401);
    let notice = wait_for_mail(&email, "Your password was changed", 60);
    assert!(notice.text.contains("every other session"), "{}", notice.text);

    // Change the email address with the link mailed to the new one.
    let new_email = unique_email("moved");
    let asked = post_json_as(
        &api,
        "/api/v1/auth/change-email",
        &here,
        json!({ "new_email": new_email, "password": NEW_PASSWORD }),
    );
    assert_eq!(asked.status, 200, "{:?}", asked.body);
    let token = token_from_mail(&new_email, "Confirm your new email address", "verify-email-change");
    let warned = wait_for_mail(&email, "Your email address is about to change", 60);
    assert!(warned.text.contains(&new_email), "{}", warned.text);
    let confirmed = api.post_json(
        "/api/v1/auth/change-email/confirm",
        &json!({ "token": token }).to_string(),
    );
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    let me = api.get("/api/v1/auth/me", &here);
    assert_eq!(
        (me.body["email"].as_str(), me.body["is_verified"].as_bool()),
        (Some(new_email.as_str()), Some(true))
    );
    let here = access_token(&sign_in(&api, &new_email, NEW_PASSWORD));

    // Close the account: a wrong password changes nothing, the right one ends it all.
    let close = |password: &str| {
        api.request(
            "DELETE",
            "/api/v1/auth/me",
            Some("application/json"),
            Some(&here),
            Some(&json!({ "password": password }).to_string()),
        )
    };
    assert_eq!(close("Wrong1234!").status, 400);
    let closed = close(NEW_PASSWORD);
    assert_eq!(closed.status, 200, "{:?}", closed.body);
    assert_eq!(api.get("/api/v1/auth/me", &here).status, 401);
    assert_eq!(sign_in(&api, &new_email, NEW_PASSWORD).status, 401);
}
