#[mizan::client(route = "/x", methods = [])]
async fn add() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
