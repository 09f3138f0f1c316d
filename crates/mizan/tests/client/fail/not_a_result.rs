#[mizan::client]
async fn add() -> u8 {
    1
}

fn main() {}
