//! Signing in and out, and the private `me` context that says who is signed in.
//!
//! `login` checks the password (see [`accounts`](crate::accounts)) and hands the user's id
//! to `Cx::login`, which starts a new session: the `mizan-session` cookie (`HttpOnly`) and
//! the `mizan-csrf` cookie that scripts copy into `X-Mizan-CSRF` on every later mutation.

use crate::db::Db;
use mizan::{Cx, Result};

use crate::accounts;
use crate::db;
use crate::limits::LoginLimits;
use crate::model::Me;

mizan::context!(
    /// Who is signed in: `GET /api/mizan/ctx/me/`. Private: never kept by a shared cache.
    pub ME = "me"
);

/// The signed-in user, or `null` when no one is.
#[mizan::client(context = ME, private)]
pub async fn current_user(cx: &Cx) -> Result<Option<Me>> {
    Ok(cx.identity().map(Me::of))
}

/// Signs in. A wrong username and a wrong password are the same `401`
/// (`"wrong username or password"`), so the answer does not tell who has an account; too
/// many attempts for the account or from the address are a `429 rate_limited` with
/// `Retry-After` ([`LoginLimits`]).
#[mizan::client(affects = [ME])]
pub async fn login(cx: &Cx, username: String, password: String) -> Result<Me> {
    sign_in(cx, &username, password).await
}

/// What `login` and the plain page's sign-in form do: count the attempt, check the
/// password, start the session.
pub async fn sign_in(cx: &Cx, username: &str, password: String) -> Result<Me> {
    cx.state::<LoginLimits>()?.attempt(cx, username)?;
    let pool = cx.state::<Db>()?;
    let user = accounts::check_password(pool, username, password).await?;
    let who = cx.login(&user.id.to_string()).await?;
    Ok(Me::of(&who))
}

/// Signs out this browser: its session ends and its cookies are cleared.
#[mizan::client(affects = [ME])]
pub async fn logout(cx: &Cx) -> Result<()> {
    cx.logout().await
}

/// Signs the caller out on every device: the user's `generation` moves on, so every
/// session that remembers the old one is anonymous from its next request on.
#[mizan::client(auth = true, affects = [ME])]
pub async fn logout_everywhere(cx: &Cx) -> Result<()> {
    let id = cx
        .user()?
        .id
        .parse::<i64>()
        .map_err(mizan::Error::internal)?;
    db::bump_generation(cx.state::<Db>()?, id).await?;
    cx.logout().await
}
