//! The users behind the sessions: the `users` table as Mizan's [`Users`], and checking a
//! password without telling who exists.
//!
//! Mizan keeps the session (`Cx::login` stores the user's id in it); this module says what
//! an id is. Every request with a session cookie loads its user again, so a deleted user, a
//! new password or "sign out everywhere" (a bumped `generation`) ends every session of that
//! user at once.

use std::sync::LazyLock;

use crate::db::Db;
use mizan::auth::{User, Users};
use mizan::{BoxFuture, Error, Identity, Result};

use crate::db;
use crate::model::Me;

/// The `users` table, as Mizan's session layer sees it: a newtype, because `Users` and
/// the pool are not the same thing (the pool is also the API's state).
#[derive(Clone, Debug)]
pub struct Accounts(pub Db);

/// The signed-in user's name, kept in the identity's extensions by [`Accounts::load`] so
/// that functions need no second query.
#[derive(Clone, Debug)]
pub struct Username(pub String);

impl Users for Accounts {
    fn load<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Option<User>>> {
        Box::pin(async move {
            // Sessions only ever hold ids that `login` put there; anything else is no one.
            let Ok(id) = id.parse::<i64>() else {
                return Ok(None);
            };
            let Some(row) = db::user(&self.0, id).await? else {
                return Ok(None);
            };
            let mut who = Identity::user(row.id.to_string()).with_extension(Username(row.username));
            who.staff = row.staff;
            // The session key: a new password or a new generation ends every session. It
            // stays on the server (in the session store), never in a cookie.
            let key = format!("{}:{}", row.generation, row.password_hash);
            Ok(Some(User::new(who, key)))
        })
    }
}

impl Me {
    /// The user an identity of [`Accounts`] describes.
    pub fn of(who: &Identity) -> Self {
        Self {
            username: who
                .extension::<Username>()
                .map_or_else(|| who.id.clone(), |name| name.0.clone()),
            staff: who.staff,
        }
    }
}

/// The message of every failed sign-in, whether the user exists or not.
pub const WRONG_CREDENTIALS: &str = "wrong username or password";

/// The user `username` if `password` is theirs; else one 401 with the same message for an
/// unknown user and a wrong password.
///
/// An unknown user's attempt is checked against a hash of no one's, so that it takes as
/// long as a real one and the time of the answer does not tell who exists. Argon2 is slow
/// on purpose (tens of milliseconds): it runs on the blocking pool, off the async workers.
pub async fn check_password(pool: &Db, username: &str, password: String) -> Result<db::UserRow> {
    static NO_ONE: LazyLock<String> =
        LazyLock::new(|| password_auth::generate_hash("no one has this password"));
    let user = db::user_by_name(pool, username).await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let matches = tokio::task::spawn_blocking(move || {
        let hash = hash.as_deref().unwrap_or(NO_ONE.as_str());
        password_auth::verify_password(password, hash).is_ok()
    })
    .await
    .map_err(Error::internal)?;
    match user {
        Some(user) if matches => Ok(user),
        _ => Err(Error::unauthorized(WRONG_CREDENTIALS)),
    }
}
