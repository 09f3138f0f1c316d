#[mizan::client(query)]
async fn café() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
