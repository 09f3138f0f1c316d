struct Api;

impl Api {
    #[mizan::client]
    async fn add(&self) -> mizan::Result<u8> {
        Ok(1)
    }
}

fn main() {}
