use mizan::State;

pub struct Db;

#[mizan::client]
async fn add(State(_db): State<Db>) -> mizan::Result<()> {
    Ok(())
}

fn main() {}
