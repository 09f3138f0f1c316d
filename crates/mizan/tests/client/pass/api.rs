//! Wire names, API groups, state and extractors, and `Cx`/`Result` under other names.

use axum::http::{HeaderMap, Method};
use mizan::Cx as Ctx;
use mizan::State;

mizan::api!(
    /// The admin API.
    pub ADMIN = "admin"
);

type Res<T> = mizan::Result<T>;

#[derive(Clone)]
pub struct Db;

mod users {
    #[mizan::client(query, name = "users-list")]
    pub async fn list() -> mizan::Result<Vec<String>> {
        Ok(Vec::new())
    }
}

mod projects {
    #[mizan::client(query, name = "projects_list")]
    pub async fn list() -> std::result::Result<Vec<String>, mizan::Error> {
        Ok(Vec::new())
    }
}

#[mizan::client(affects = [users::list, projects::list], api = ADMIN)]
pub async fn reset(
    cx: &Ctx,
    State(db): State<Db>,
    #[extract] headers: HeaderMap,
    who: String,
    #[extract] method: Method,
) -> Res<usize> {
    let _ = (cx.identity(), db, method);
    Ok(headers.len() + who.len())
}

#[mizan::client(api = "admin", name = "stats")]
pub async fn statistics(cx: mizan::Cx, State(_db): State<Db>) -> Res<u8> {
    let _ = cx;
    Ok(1)
}

fn main() {
    let public = mizan::Mizan::builder().build().expect("valid");
    assert_eq!(public.schema().functions.len(), 2);
    let admin = mizan::Mizan::builder()
        .api(ADMIN)
        .state(Db)
        .build()
        .expect("valid");
    assert!(admin.schema().functions.contains_key("stats"));
    let _router: axum::Router = admin.router();
}
