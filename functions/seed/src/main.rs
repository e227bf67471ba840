use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = shared::runtime::start(false).await;
    run(service_fn(|event: LambdaEvent<Value>| {
        let app = &app;
        async move { Ok::<_, Error>(shared::seed::run(app, event.payload).await) }
    }))
    .await
}
