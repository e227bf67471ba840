//! The DynamoDB calls of the hot routes (issue 18: each is a network round trip on AWS), and
//! the writes folded into them keeping their own conditions.

use crate::support::{TestApp, PASSWORD};
use shared::domain::ports::{FailureCount, FreedSlot, Rehash, Reservation};
use shared::model::{Origin, AMR_PASSWORD};
use shared::Clock;

const LOCK_MS: i64 = 15 * 60_000;

/// A test app whose store records the operations it sends (the bench's meter), with limits so
/// high that a random pick of a rate-limit slot is all but certainly free (one in a million is
/// not), as for a client well under its limit.
async fn metered() -> TestApp {
    metered_with(&[
        ("RATE_LIMIT_LOGIN_MAX", "1000000"),
        ("RATE_LIMIT_REGISTER_MAX", "1000000"),
    ])
    .await
}

async fn metered_with(settings: &[(&str, &str)]) -> TestApp {
    let mut t = TestApp::with_env(settings).await;
    t.app.db = t.app.db.clone().with_capacity_meter();
    t.app.store = std::sync::Arc::new(t.app.db.clone());
    t
}

/// The operations the store sent while `request` ran.
async fn operations_of<F: std::future::Future<Output = u16>>(t: &TestApp, request: F) -> Vec<&'static str> {
    let before = t.app.db.operations().len();
    let status = request.await;
    assert!(status < 300, "the measured request failed: {status}");
    t.app.db.operations()[before..].to_vec()
}

async fn failures(t: &TestApp, subject: &str) -> i64 {
    t.app
        .store
        .failures_and_user_id(subject, None)
        .await
        .unwrap()
        .0
        .failures
}

/// Takes the next lockout slot of `subject` directly, as a parallel attempt would.
async fn reserve(t: &TestApp, subject: &str) -> i64 {
    let now_ms = t.clock.now().timestamp_millis();
    let seen = t.app.store.failures_and_user_id(subject, None).await.unwrap().0;
    let plan = Reservation::plan(seen, now_ms, LOCK_MS, 5).expect("not locked");
    t.app
        .store
        .reserve_attempt(subject, &plan)
        .await
        .unwrap()
        .expect("a slot")
}

#[tokio::test]
async fn a_login_frees_its_lockout_slot_in_the_transaction_that_starts_its_session() {
    let t = metered().await;
    assert_eq!(t.register("jane@example.com", PASSWORD).await.status, 200);
    assert_eq!(t.login("jane@example.com", "wrong password").await.status, 401);
    assert_eq!(failures(&t, "jane@example.com").await, 1);

    let operations = operations_of(&t, async { t.login("jane@example.com", PASSWORD).await.status }).await;
    assert_eq!(
        operations,
        [
            "PutItem",            // a free rate-limit slot claimed
            "TransactGetItems",   // the lockout counter and the email's account
            "UpdateItem",         // a lockout slot, before the password is checked
            "GetItem",            // the account and its hash
            "TransactWriteItems", // the session, last_login, the freed counter, the event
        ]
    );
    assert_eq!(
        failures(&t, "jane@example.com").await,
        0,
        "the success freed the counter"
    );
}

#[tokio::test]
async fn a_counter_that_attempts_reserved_after_the_login_keeps_counting_and_the_session_starts() {
    let t = TestApp::new().await;
    let (id, _) = t.quick_user("jane@example.com", shared::model::Role::User).await;
    let user = t.app.store.user(id).await.unwrap().unwrap();
    let mine = reserve(&t, "jane@example.com").await;
    let later = reserve(&t, "jane@example.com").await;
    assert_eq!((mine, later), (1, 2));

    // Both of the login's side conditions fail: the counter moved on, and the password changed
    // since it was checked (the upgrade's `from` is not the stored hash).
    let now = t.clock.now();
    let amr = [AMR_PASSWORD];
    let (session, first) = shared::domain::sessions::open(&t.app, id, "password", &Origin::default(), &amr, now);
    let rehash = Rehash {
        from: "an older hash",
        to: "an upgraded hash",
    };
    let freed = FreedSlot {
        lockout: "jane@example.com",
        slot: mine,
    };
    t.app
        .store
        .create_session(
            &session,
            &first,
            Some("2026-12-03T00:00:00"),
            Some(rehash),
            Some(freed),
            &[],
        )
        .await
        .unwrap();

    let (_, stored) = t.app.store.user_and_session(id, &session.id).await.unwrap();
    assert!(stored.is_some(), "the session was written");
    let after = t.app.store.user(id).await.unwrap().unwrap();
    assert_eq!(after.hashed_password, user.hashed_password, "the current hash stays");
    assert_eq!(after.last_login.as_deref(), Some("2026-12-03T00:00:00"));
    assert_eq!(
        failures(&t, "jane@example.com").await,
        2,
        "the later attempt's slot counts"
    );

    // Holding the last slot, the same write frees the counter.
    let (session, first) = shared::domain::sessions::open(&t.app, id, "password", &Origin::default(), &amr, now);
    let freed = FreedSlot {
        lockout: "jane@example.com",
        slot: later,
    };
    t.app
        .store
        .create_session(&session, &first, Some("2026-12-03T00:00:01"), None, Some(freed), &[])
        .await
        .unwrap();
    assert_eq!(
        t.app
            .store
            .failures_and_user_id("jane@example.com", None)
            .await
            .unwrap()
            .0,
        FailureCount::default()
    );
}

#[tokio::test]
async fn a_registration_is_one_transaction_with_its_first_session() {
    let t = metered().await;
    assert_eq!(t.register("first@example.com", PASSWORD).await.status, 200);

    let reply = std::cell::OnceCell::new();
    let operations = operations_of(&t, async {
        let r = t.register("jane@example.com", PASSWORD).await;
        let status = r.status;
        reply.set(r).unwrap();
        status
    })
    .await;
    assert_eq!(
        operations,
        [
            "PutItem",            // a free rate-limit slot claimed
            "UpdateItem",         // the user id
            "TransactWriteItems", // user, email guard, verification token and mail, session, event
            "Query",              // pending invites to the address (INVITE_AUTO_ACCEPT=registration)
        ]
    );
    let reply = reply.into_inner().unwrap();
    assert!(
        reply.headers.get_all("set-cookie").iter().count() > 0,
        "signed in: {:?}",
        reply.headers
    );

    // The duplicate is refused by the guard's condition and writes nothing.
    let before = t.app.db.operations().len();
    let again = t.register("jane@example.com", "another password 1").await;
    assert_eq!(again.status, 400, "{:?}", again.body);
    assert_eq!(again.body["detail"], "Email already registered");
    assert!(t.app.db.operations()[before..].contains(&"TransactWriteItems"));
    let jane = t.app.store.user_by_email("jane@example.com").await.unwrap().unwrap();
    let first_password = secrecy::SecretString::from(PASSWORD.to_string());
    assert!(shared::domain::password::verify(first_password, Some(jane.hashed_password)).await);
}

#[tokio::test]
async fn a_limited_request_reads_its_bucket_only_when_the_slot_it_tried_is_in_use() {
    let t = metered_with(&[("RATE_LIMIT_LOGIN_MAX", "1")]).await;
    let login = || async { t.login("nobody@example.com", "wrong").await.status };
    let before = t.app.db.operations().len();
    assert_eq!(login().await, 401);
    let first = t.app.db.operations()[before..].to_vec();
    assert_eq!(first[0], "PutItem", "the one slot, free: {first:?}");
    assert_ne!(first[1], "Query", "{first:?}");

    let before = t.app.db.operations().len();
    let refused = t.login("nobody@example.com", "wrong").await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.headers["retry-after"], "60");
    assert_eq!(
        t.app.db.operations()[before..],
        ["PutItem", "Query"],
        "the slot was in use: the bucket is read, no slot is free, nothing is written"
    );

    t.clock.advance(chrono::Duration::seconds(60));
    let before = t.app.db.operations().len();
    assert_eq!(login().await, 401, "the grant left the window");
    assert_eq!(t.app.db.operations()[before], "PutItem");
    assert_ne!(t.app.db.operations()[before + 1], "Query");
}
