#[mizan::client]
async fn add(#[extract] limit: u32) -> mizan::Result<u32> {
    Ok(limit)
}

fn main() {}
