#[mizan::client(route = "/todos/{id}", methods = [FETCH])]
async fn toggle(id: i64) -> mizan::Result<i64> {
    Ok(id)
}

fn main() {}
