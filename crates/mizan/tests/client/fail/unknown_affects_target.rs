#[mizan::client(affects = [todo_lst])]
async fn add() -> mizan::Result<u8> {
    Ok(1)
}

fn main() {}
