//! An owned context is told from an argument by its spelling `Cx`; under another name it
//! is taken by reference (`cx: &Ctx`).
use mizan::Cx as Ctx;

#[mizan::client]
async fn add(cx: Ctx, n: i64) -> mizan::Result<i64> {
    let _ = cx;
    Ok(n)
}

fn main() {}
