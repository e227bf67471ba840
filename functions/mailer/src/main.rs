use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

/// Fed by the table's DynamoDB Stream (inserted mail items); sends each message through the
/// transport `MAIL_TRANSPORT` names and reports the records to retry.
#[tokio::main]
async fn main() -> Result<(), Error> {
    let (app, transport) = shared::runtime::start_mailer().await;
    run(service_fn(|event: LambdaEvent<Value>| {
        let (app, transport) = (&app, &transport);
        async move { Ok::<_, Error>(shared::mailer::handle_stream(app, transport, &event.payload).await) }
    }))
    .await
}
