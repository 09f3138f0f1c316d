struct Secret;

#[mizan::client]
async fn leak() -> mizan::Result<Secret> {
    Ok(Secret)
}

fn main() {}
