#[mizan::client]
async fn add<T: Default>() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
