#[mizan::client]
async fn page() -> mizan::Result<impl axum::response::IntoResponse> {
    Ok("hi")
}

fn main() {}
