mizan::context!(PAGES = "pages");

#[mizan::client(context = PAGES)]
async fn page() -> mizan::Result<axum::response::Redirect> {
    Ok(axum::response::Redirect::to("/"))
}

fn main() {}
