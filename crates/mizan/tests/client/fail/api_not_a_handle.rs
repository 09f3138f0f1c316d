mizan::context!(pub TODOS = "todos");

#[mizan::client(query, api = TODOS)]
async fn list() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
