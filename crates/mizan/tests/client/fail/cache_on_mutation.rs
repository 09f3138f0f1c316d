#[mizan::client(cache = 30)]
async fn add() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
