use lambda_http::{run, service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    run(service_fn(|req: Request| async move {
        Ok::<_, Error>(web::respond(req.method(), req.uri().path()))
    }))
    .await
}
