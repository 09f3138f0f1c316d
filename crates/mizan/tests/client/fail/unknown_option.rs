#[mizan::client(contxt = TODOS)]
async fn list() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
