use mizan::Cx;

#[mizan::client]
async fn add(project: i64, cx: &Cx) -> mizan::Result<i64> {
    let _ = cx;
    Ok(project)
}

fn main() {}
