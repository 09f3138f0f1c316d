mizan::context!(TODOS = "todos");

#[mizan::client(affects = [TODOS], affects_params = 3)]
async fn add(project: i64) -> mizan::Result<i64> {
    Ok(project)
}

fn main() {}
