#[mizan::client(affects_params = |a, _| mizan::params! { project: a.project })]
async fn add(project: i64) -> mizan::Result<i64> {
    Ok(project)
}

fn main() {}
