async fn helper() {}

#[mizan::client(affects = [helper])]
async fn add() -> mizan::Result<u8> {
    helper().await;
    Ok(1)
}

fn main() {}
