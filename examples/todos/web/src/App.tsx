import { submitForm } from "@mizan/runtime";
import { useState, type FormEvent } from "react";

import { ctx } from "./mizan/protocol";
import type { Me } from "./mizan/types";
import {
  keepPreviousData,
  type MizanError,
  useAddProject,
  useAddTodoForm,
  useDeleteProject,
  useDeleteTodo,
  useLogin,
  useLogout,
  useMe,
  useMizan,
  useProjects,
  useTodos,
  useToggleTodo,
} from "./mizan/react";

/** The project in the URL (`?project=2`), else the first. `url` is the page's URL when
 *  rendering on the server (src/entry-server.tsx), where there is no `location`. */
const projectFromUrl = (url?: string) =>
  Number(new URL(url ?? location.href, "http://localhost").searchParams.get("project")) || 1;

/** A sidebar of projects and the selected project's todos. Nothing here says what to refetch
 *  after a change: the server's answer to each call does. Anyone may read; the controls that
 *  change something show for a signed-in user only (the server answers 401 otherwise). */
export function App({ url }: { url?: string }) {
  const me = useMe();
  const user = me.data?.current_user ?? null;
  const projects = useProjects();
  const [selected, setSelected] = useState(() => projectFromUrl(url));
  const select = (id: number) => {
    history.replaceState(null, "", `?project=${id}`);
    setSelected(id);
  };
  const selectAnother = () => select(projects.data?.project_list.find((p) => p.id !== selected)?.id ?? 1);
  const summary = projects.data?.project_list.find((p) => p.id === selected);

  return (
    <div className="app">
      <header className="topbar">
        <h1>
          Mizan <span>todos</span>
        </h1>
        <p>Typed Rust functions; the server says what each change invalidated.</p>
        <Account user={user} known={me.status === "success"} />
      </header>

      <aside className="sidebar" aria-label="Projects">
        <h2>Projects</h2>
        {projects.isLoading && <p className="muted">Loading…</p>}
        <ErrorBox error={projects.error} />
        <nav>
          <ul className="projects">
            {projects.data?.project_list.map((p) => (
              <li key={p.id}>
                <button
                  type="button"
                  data-project-link={p.id}
                  aria-current={p.id === selected ? "page" : undefined}
                  onClick={() => select(p.id)}
                >
                  <span>{p.name}</span>
                  <span className="badge">{p.todo_count}</span>
                </button>
              </li>
            ))}
          </ul>
        </nav>
        {user && <AddProject onAdded={select} />}
      </aside>

      <main className="content">
        <ProjectTodos project={selected} count={summary?.todo_count} user={user} onDeleted={selectAnother} />
      </main>
    </div>
  );
}

/** Who is signed in, with a sign-out button; else the sign-in form. */
function Account({ user, known }: { user: Me | null; known: boolean }) {
  const login = useLogin();
  const logout = useLogout();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const signIn = (e: FormEvent) => {
    e.preventDefault();
    login.call({ username, password }, { onSuccess: () => (setUsername(""), setPassword("")) });
  };
  if (!known) return <div className="account" />;
  if (user)
    return (
      <div className="account" data-signed-in={user.username}>
        <span>
          signed in as <strong data-testid="username">{user.username}</strong>
          {user.staff && <span className="badge">staff</span>}
        </span>
        <span className="muted">·</span>
        <button type="button" className="ghost" onClick={() => logout.call({})} disabled={logout.isPending}>
          sign out
        </button>
        <ErrorBox error={logout.error} />
      </div>
    );
  return (
    <form className="account login" aria-label="Sign in" onSubmit={signIn}>
      <input
        aria-label="Username"
        autoComplete="username"
        placeholder="username"
        value={username}
        onChange={(e) => setUsername(e.target.value)}
      />
      <input
        aria-label="Password"
        type="password"
        autoComplete="current-password"
        placeholder="password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="submit" disabled={login.isPending}>
        Sign in
      </button>
      <ErrorBox error={login.error} />
    </form>
  );
}

function ProjectTodos({
  project,
  count,
  user,
  onDeleted,
}: {
  project: number;
  count: number | undefined;
  user: Me | null;
  onDeleted: () => void;
}) {
  // While another project loads, the previous one stays on screen, dimmed.
  const todos = useTodos({ project }, { placeholderData: keepPreviousData });
  // Optimistic: the checkbox flips at once; a failed call rolls it back, a successful one
  // is followed by the server's invalidation, which refetches the truth.
  const toggleTodo = useToggleTodo({
    optimistic: ({ id }, client) =>
      client.setData(ctx.todos({ project }), (data) =>
        data && { ...data, todo_list: data.todo_list.map((t) => (t.id === id ? { ...t, done: !t.done } : t)) },
      ),
  });
  const deleteTodo = useDeleteTodo();
  const deleteProject = useDeleteProject();
  const client = useMizan();
  // A plain HTML form posting to the view-path route; the kernel submits it, applies the
  // X-Mizan-Invalidate header of the answer and follows its redirect.
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    void submitForm(client, e.currentTarget);
  };
  const error = toggleTodo.error ?? deleteTodo.error ?? deleteProject.error;
  const list = todos.data?.todo_list ?? [];
  const open = list.filter((t) => !t.done).length;

  return (
    <section className="project" data-project={project} aria-busy={todos.isFetching}>
      <header className="project-header">
        <div>
          <h2>{todos.data?.project_info.name ?? "…"}</h2>
          <p className="muted">
            <small data-testid="count">({count ?? "…"} todos)</small> · {open} open
          </p>
        </div>
        <span className={todos.isFetching ? "sync on" : "sync"} aria-live="polite">
          {todos.isFetching ? "refreshing…" : "up to date"}
        </span>
        {user?.staff && (
          <button
            type="button"
            className="ghost danger"
            onClick={() => deleteProject.call({ id: project }, { onSuccess: onDeleted })}
            disabled={deleteProject.isPending}
          >
            delete project
          </button>
        )}
      </header>
      <ErrorBox error={todos.error} />
      <ul className={todos.isPlaceholderData ? "todos stale" : "todos"}>
        {list.map((t) => (
          <li key={t.id} data-todo={t.id} data-done={String(t.done)} className={t.done ? "done" : undefined}>
            <label>
              <input type="checkbox" checked={t.done} disabled={!user} onChange={() => toggleTodo.call({ id: t.id })} />
              <span>{t.title}</span>
            </label>
            {user && (
              <div className="actions">
                <form method="post" action={`/todos/${t.id}/toggle`} onSubmit={submit}>
                  <button type="submit" className="ghost" title="Toggle through the plain HTML form route">
                    toggle (form)
                  </button>
                </form>
                <button
                  type="button"
                  className="ghost danger"
                  onClick={() => deleteTodo.call({ id: t.id })}
                  aria-label={`Delete ${t.title}`}
                >
                  delete
                </button>
              </div>
            )}
          </li>
        ))}
        {todos.status === "success" && list.length === 0 && <li className="empty muted">Nothing to do.</li>}
      </ul>
      {user && <AddTodo key={project} project={project} />}
      <ErrorBox error={error} />
    </section>
  );
}

/** The add-a-todo form: the title is checked as it is typed (the schema's rules at once, the
 *  server's in a debounced validate-only call) and again on submit; the server's messages
 *  show under the field. */
function AddTodo({ project }: { project: number }) {
  const form = useAddTodoForm({
    initial: { project, title: "" },
    validateOn: ["title"],
    onSuccess: () => form.reset(),
  });
  const errors = form.errors.title;
  return (
    <form className="add" onSubmit={form.submit} noValidate>
      <input
        aria-label={`New todo in project ${project}`}
        placeholder="What needs doing?"
        aria-invalid={errors ? true : undefined}
        {...form.input("title")}
      />
      <button type="submit" disabled={form.submitting}>
        {form.submitting ? "Adding…" : "Add"}
      </button>
      {errors?.map((m) => (
        <p key={m} className="field-error">
          {m}
        </p>
      ))}
      {/* an error about no field (403, 404, 500…): the typed error as the server sent it */}
      <ErrorBox error={form.formErrors.length ? form.call.error : undefined} />
    </form>
  );
}

function AddProject({ onAdded }: { onAdded: (id: number) => void }) {
  const addProject = useAddProject();
  const [name, setName] = useState("");
  const add = (e: FormEvent) => {
    e.preventDefault();
    addProject.call(
      { name },
      {
        onSuccess: (project) => {
          setName("");
          onAdded(project.id);
        },
      },
    );
  };
  return (
    <form className="add add-project" onSubmit={add}>
      <input aria-label="New project" placeholder="New project" value={name} onChange={(e) => setName(e.target.value)} />
      <button type="submit" disabled={addProject.isPending}>
        Add
      </button>
      <ErrorBox error={addProject.error} />
    </form>
  );
}

/** A MizanError as the server sent it: status, code, message and per-field messages. */
function ErrorBox({ error }: { error: MizanError | undefined }) {
  if (error === undefined) return null;
  return (
    <div className="error" role="alert" data-code={error.code} data-status={error.status}>
      {error.status} {error.code}: {error.message}
      {Object.entries(error.fields).map(([field, messages]) => (
        <div key={field} data-field={field}>
          {field}: {messages.join(", ")}
        </div>
      ))}
    </div>
  );
}
