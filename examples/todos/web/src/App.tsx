import { useState, type FormEvent } from "react";

import {
  type MizanError,
  useAddProject,
  useAddTodo,
  useDeleteTodo,
  useMizan,
  useProjects,
  useTodos,
  useToggleTodo,
} from "./mizan/react";

/** Every project with its todos. Nothing here says what to refetch after a change: the
 *  server's answer to each call does. */
export function App() {
  const projects = useProjects({});
  return (
    <main>
      <h1>Mizan todos</h1>
      {projects.status === "pending" && <p>Loading…</p>}
      <ErrorBox error={projects.error} />
      {projects.data?.project_list.map((p) => (
        <ProjectTodos key={p.id} project={p.id} count={p.todo_count} />
      ))}
      <AddProject />
    </main>
  );
}

function ProjectTodos({ project, count }: { project: number; count: number }) {
  const todos = useTodos({ project });
  const addTodo = useAddTodo();
  const toggleTodo = useToggleTodo();
  const deleteTodo = useDeleteTodo();
  const client = useMizan();
  const [title, setTitle] = useState("");

  const add = (e: FormEvent) => {
    e.preventDefault();
    addTodo.call({ project, title }).then(() => setTitle(""), () => {});
  };
  // A plain HTML form posting to the view-path route; the kernel submits it, applies the
  // X-Mizan-Invalidate header of the answer and follows its redirect.
  const submitForm = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    void client.submit(e.currentTarget);
  };

  return (
    <section data-project={project}>
      <h2>
        {todos.data?.project_info.name ?? "…"} <small data-testid="count">({count} todos)</small>
        {todos.isFetching && <small> refreshing…</small>}
      </h2>
      <ErrorBox error={todos.error} />
      <ul>
        {todos.data?.todo_list.map((t) => (
          <li key={t.id} data-todo={t.id} data-done={String(t.done)}>
            <label>
              <input
                type="checkbox"
                checked={t.done}
                disabled={toggleTodo.isPending}
                onChange={() => toggleTodo.call({ id: t.id }).catch(() => {})}
              />
              {t.title}
            </label>{" "}
            <form method="post" action={`/todos/${t.id}/toggle`} onSubmit={submitForm}>
              <button type="submit">toggle (form)</button>
            </form>{" "}
            <button type="button" onClick={() => deleteTodo.call({ id: t.id }).catch(() => {})}>
              delete
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={add}>
        <input
          aria-label={`New todo in project ${project}`}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
        />
        <button type="submit" disabled={addTodo.isPending}>
          Add
        </button>
      </form>
      <ErrorBox error={addTodo.error ?? toggleTodo.error ?? deleteTodo.error} />
    </section>
  );
}

function AddProject() {
  const addProject = useAddProject();
  const [name, setName] = useState("");
  const add = (e: FormEvent) => {
    e.preventDefault();
    addProject.call({ name }).then(() => setName(""), () => {});
  };
  return (
    <form onSubmit={add}>
      <input aria-label="New project" value={name} onChange={(e) => setName(e.target.value)} />
      <button type="submit" disabled={addProject.isPending}>
        Add project
      </button>
      <ErrorBox error={addProject.error} />
    </form>
  );
}

/** A MizanError as the server sent it: status, code, message and per-field messages. */
function ErrorBox({ error }: { error: MizanError | undefined }) {
  if (error === undefined) return null;
  return (
    <div role="alert" data-code={error.code} data-status={error.status}>
      {error.status} {error.code}: {error.message}
      {Object.entries(error.fields).map(([field, messages]) => (
        <div key={field} data-field={field}>
          {field}: {messages.join(", ")}
        </div>
      ))}
    </div>
  );
}
