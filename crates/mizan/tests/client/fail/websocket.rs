#[mizan::client(websocket = true)]
async fn live() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
