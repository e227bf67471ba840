use lambda_http::{run, service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let app = shared::runtime::start(true).await;
    run(service_fn(|req: Request| {
        let app = &app;
        async move { Ok::<_, Error>(shared::http::orgs::handle(app, req).await) }
    }))
    .await
}
