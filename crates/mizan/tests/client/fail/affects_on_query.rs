mizan::context!(TODOS = "todos");

#[mizan::client(context = TODOS, affects = [TODOS])]
async fn list() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
