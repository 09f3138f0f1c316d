#[mizan::client]
async fn add(title: &str) -> mizan::Result<usize> {
    Ok(title.len())
}

fn main() {}
