#[mizan::client(websocket = 1)]
async fn live() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
