#[mizan::client(context = NOPE)]
async fn list() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
