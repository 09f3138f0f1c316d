#[mizan::client(rev = "two")]
async fn add() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
