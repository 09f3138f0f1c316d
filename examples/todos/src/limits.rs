//! How often one may try to sign in: per account and per client address, so that guessing
//! a password is slow whether one guesses many passwords for one user or one password for
//! many users.
//!
//! | key | burst | then |
//! |---|---|---|
//! | the username (case-insensitive, whether it exists or not) | 5 attempts | one more every 12 s (5 a minute) |
//! | the client address (IPv4, or the /64 of an IPv6 address) | 20 attempts | one more every 3 s (20 a minute) |
//!
//! Every attempt counts, right or wrong. Past a limit, `login` answers
//! `429 rate_limited` with `Retry-After`, before looking at the password. The counts live
//! in this process (one server; behind a load balancer, count in a shared store such as
//! Redis). The address is the TCP peer's: behind a reverse proxy every client shares the
//! proxy's, so read the client's from the proxy's header (for a proxy you trust) instead.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use mizan::{Cx, Error, Result};

/// Beyond this many remembered keys, keys whose limit has fully recovered are forgotten
/// (someone trying many usernames must not grow the table forever).
const FORGET_PAST: usize = 10_000;

/// The sign-in limits, in the API's state (`cx.state::<LoginLimits>()`).
#[derive(Debug)]
pub struct LoginLimits {
    accounts: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self::new(Self::PER_ACCOUNT, Self::PER_ADDRESS)
    }
}

impl LoginLimits {
    /// Per account: 5 attempts, then one every 12 seconds.
    pub const PER_ACCOUNT: Quota = Quota::per_minute(NonZeroU32::new(5).expect("nonzero"));
    /// Per client address: 20 attempts, then one every 3 seconds.
    pub const PER_ADDRESS: Quota = Quota::per_minute(NonZeroU32::new(20).expect("nonzero"));

    /// `account` attempts a minute per account and four times as many per address
    /// (`LOGIN_ATTEMPTS_PER_MINUTE`: test suites that sign in often raise it).
    pub fn per_minute(account: NonZeroU32) -> Self {
        Self::new(
            Quota::per_minute(account),
            Quota::per_minute(account.saturating_mul(NonZeroU32::new(4).expect("nonzero"))),
        )
    }

    /// Limits with these quotas.
    pub fn new(per_account: Quota, per_address: Quota) -> Self {
        Self {
            accounts: RateLimiter::keyed(per_account),
            addresses: RateLimiter::keyed(per_address),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one sign-in attempt for `username` from the caller's address, or refuses it
    /// with `429 rate_limited` and `Retry-After` when either limit is reached.
    pub fn attempt(&self, cx: &Cx, username: &str) -> Result<()> {
        // `mizan::serve` puts the TCP peer in the request's extensions; a request that did
        // not come through it (a test's `oneshot`) has no address and only the account limit.
        let address = cx
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| client_key(peer.ip()));
        if let Some(address) = address {
            forget_some(&self.addresses);
            self.addresses
                .check_key(&address)
                .map_err(|wait| too_many(wait.wait_time_from(self.clock.now())))?;
        }
        forget_some(&self.accounts);
        self.accounts
            .check_key(&username.trim().to_lowercase())
            .map_err(|wait| too_many(wait.wait_time_from(self.clock.now())))
    }
}

fn forget_some<K: Clone + Eq + std::hash::Hash>(limiter: &DefaultKeyedRateLimiter<K>) {
    if limiter.len() > FORGET_PAST {
        limiter.retain_recent();
    }
}

/// The key of an address: an IPv4 address, or the /64 network of an IPv6 one (one host
/// usually has a whole /64 to pick addresses from).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

fn too_many(wait: std::time::Duration) -> Error {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Error::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many sign-in attempts; try again in {seconds} s"),
    )
    .with_retry_after(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_keyed_by_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("an address");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("an address");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("an address");
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("an address");
        assert_eq!(
            client_key(mapped),
            "192.0.2.7".parse::<IpAddr>().expect("an address")
        );
    }
}
