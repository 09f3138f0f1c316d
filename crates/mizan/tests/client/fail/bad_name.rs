#[mizan::client(query, name = "todos/list")]
async fn list() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
