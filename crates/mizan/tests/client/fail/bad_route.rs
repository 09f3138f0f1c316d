#[mizan::client(route = "todos/{id}")]
async fn toggle(id: i64) -> mizan::Result<i64> {
    Ok(id)
}

fn main() {}
