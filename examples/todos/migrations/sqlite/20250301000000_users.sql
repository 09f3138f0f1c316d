-- The people who may change todos. `password_hash` is a PHC string (Argon2, written by the
-- `password-auth` crate); `generation` is bumped to sign a user out everywhere: sessions
-- remember both, and end when either changes.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    staff         BOOLEAN NOT NULL DEFAULT FALSE,
    generation    INTEGER NOT NULL DEFAULT 0
);
