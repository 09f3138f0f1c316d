CREATE TABLE projects (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL
);

CREATE TABLE todos (
    id         INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL,
    done       BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX todos_project_id ON todos (project_id);
