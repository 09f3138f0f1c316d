mizan::context!(TODOS = "todos");

#[mizan::client(context = TODOS, query)]
async fn list() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
