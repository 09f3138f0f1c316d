#[mizan::client(query, api = "admin api")]
async fn list() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
