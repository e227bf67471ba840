//! The `orgs` function: its axum router (`shared::http::orgs`) under the Lambda runtime.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let app = shared::runtime::start(true).await;
    lambda_http::run(shared::http::functions::orgs_router(app)).await
}
