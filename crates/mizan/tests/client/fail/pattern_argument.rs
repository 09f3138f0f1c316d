#[mizan::client]
async fn add((a, b): (i64, i64)) -> mizan::Result<i64> {
    Ok(a + b)
}

fn main() {}
