//! The bench's capacity meter: DynamoDB (here DynamoDB Local) reports consumed capacity for the
//! store's reads and writes once the meter asks for it, and only then.

use crate::support::{TestApp, PASSWORD};

#[tokio::test]
async fn the_meter_sums_read_and_write_units_only_when_turned_on() {
    let mut t = TestApp::new().await;
    assert_eq!(t.register("cap@example.com", PASSWORD).await.status, 200);
    assert_eq!(
        t.app.db.capacity(),
        shared::store::Capacity::default(),
        "off by default"
    );

    t.app.db = t.app.db.clone().with_capacity_meter();
    t.app.store = std::sync::Arc::new(t.app.db.clone());
    let (before, calls) = (t.app.db.capacity(), t.app.db.calls());
    assert_eq!(t.login("cap@example.com", PASSWORD).await.status, 200);
    let used = t.app.db.capacity() - before;
    let operations = t.app.db.operations();
    assert_eq!(operations.len() as u64, t.app.db.calls() - calls, "{operations:?}");
    assert!(operations.contains(&"TransactWriteItems"), "{operations:?}");
    assert_eq!(used.unreported, 0, "every answer carried ConsumedCapacity: {used:?}");
    assert!(used.read >= 1.0, "a login reads: {used:?}");
    assert!(
        used.write >= 2.0,
        "a login writes its session in a transaction: {used:?}"
    );
}
