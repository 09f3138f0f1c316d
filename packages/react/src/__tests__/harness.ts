// A fake Mizan server behind an injected `fetch`: the todos example (contexts `todos` and
// `stats`, the mutation `add_todo`), recording every request it answers.
import {
  type ClientOptions,
  type ContextDescriptor,
  defineCall,
  defineContext,
  type HydrationData,
  MizanClient,
  type Params,
} from "@mizan/runtime";

export interface Todo {
  id: number;
  project: number;
  title: string;
}
// A type alias, not an interface: `P extends Params` (= Record<string, unknown>) rejects
// interfaces, which have no implicit index signature.
export type TodosParams = {
  project: number;
};
export interface TodosData {
  todo_list: Todo[];
  project_info: { id: number; name: string };
}
export interface AddTodoArgs {
  project: number;
  title: string;
}

export const ctx = {
  todos: defineContext<TodosParams, TodosData>("todos"),
  stats: defineContext<Record<string, never>, { count: number }>("stats"),
} as const;
export const call = { addTodo: defineCall<AddTodoArgs, Todo>("add_todo") } as const;

export interface Recorded {
  method: string;
  /** Path below the base URL plus the query, e.g. `ctx/todos/?project=3`. */
  url: string;
  body: unknown;
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export const errorBody = (code: string, message: string, fields?: Record<string, string[]>) => ({
  error: fields ? { code, message, fields } : { code, message },
});

const BASE = "/api/mizan/";

export function todoServer() {
  const todos: Todo[] = [{ id: 1, project: 3, title: "write the adapter" }];
  let nextId = 2;
  const requests: Recorded[] = [];
  /** Answer the next context GET for this url (`ctx/todos/?project=3`) with this response instead. */
  const overrides = new Map<string, Response | Promise<Response>>();
  /** Hold every `add_todo` call until the test releases it (or answer it with another response). */
  const calls: Deferred<Response | undefined>[] = [];
  let holdCalls = false;
  /** Context urls answered with a fixed (error) response until cleared. */
  let failing: Record<string, Response> = {};

  const answerContext = (url: string, name: string, query: URLSearchParams): Response => {
    const fail = failing[url];
    if (fail) return fail.clone();
    if (name === "todos") {
      const project = Number(JSON.parse(query.get("project") ?? "null"));
      const data: TodosData = {
        todo_list: todos.filter((t) => t.project === project),
        project_info: { id: project, name: `project ${project}` },
      };
      return json(200, data);
    }
    if (name === "stats") return json(200, { count: todos.length });
    return json(404, errorBody("not_found", `unknown context ${name}`));
  };

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(href, "http://localhost");
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) : url.pathname;
    const rel = path + url.search;
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
    requests.push({ method, url: rel, body });
    await Promise.resolve();
    const ctxMatch = /^ctx\/([^/]+)\/$/.exec(path);
    if (ctxMatch && method === "GET") {
      const override = overrides.get(rel);
      if (override) {
        overrides.delete(rel);
        return override;
      }
      return answerContext(rel, ctxMatch[1]!, url.searchParams);
    }
    if (path === "call/add_todo/" && method === "POST") {
      let answer: Response | undefined;
      if (holdCalls) {
        const d = deferred<Response | undefined>();
        calls.push(d);
        answer = await d.promise;
      }
      if (answer) return answer;
      const args = body as AddTodoArgs;
      if (!args.title) {
        return json(422, errorBody("validation", "validation failed", { title: ["must not be empty"] }));
      }
      const todo = { id: nextId++, project: args.project, title: args.title };
      todos.push(todo);
      return json(200, { result: todo, invalidate: [{ context: "todos", params: { project: args.project } }] });
    }
    return json(404, errorBody("not_found", `no route ${rel}`));
  };

  return {
    fetch: fetch as typeof globalThis.fetch,
    requests,
    overrides,
    calls,
    todos,
    /** Context GETs answered for this url, e.g. `ctx/todos/?project=3`. */
    gets: (url: string) => requests.filter((r) => r.method === "GET" && r.url === url).length,
    posts: () => requests.filter((r) => r.method === "POST").length,
    hold(on = true) {
      holdCalls = on;
    },
    fail(url: string, response: Response | undefined) {
      const next = { ...failing };
      if (response) next[url] = response;
      else delete next[url];
      failing = next;
    },
  };
}

export type TodoServer = ReturnType<typeof todoServer>;

/** Let pending promises, microtasks and zero-delay timers run. */
export const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 10));

/** A real kernel on the fake server; no retries, so errors surface at once. */
export function clientFor(server: TodoServer, options?: ClientOptions): MizanClient {
  return new MizanClient({ fetch: server.fetch, retry: false, ...options });
}

/** Count the client's live observers by wrapping `subscribe` (each unsubscribe counted once). */
export function observe(client: MizanClient) {
  const counts = { subscribes: 0, live: 0, byKey: new Map<string, number>() };
  const subscribe = client.subscribe.bind(client);
  client.subscribe = (d, listener, passive) => {
    counts.subscribes++;
    counts.live++;
    counts.byKey.set(d.key, (counts.byKey.get(d.key) ?? 0) + 1);
    const unsubscribe = subscribe(d, listener, passive);
    let done = false;
    return () => {
      if (!done) {
        done = true;
        counts.live--;
        counts.byKey.set(d.key, (counts.byKey.get(d.key) ?? 0) - 1);
      }
      unsubscribe();
    };
  };
  return counts;
}

/** The hydration data of one entry, as a server's dehydrate() writes it. */
export const page = <D>(d: ContextDescriptor<Params, D>, data: D, updatedAt = Date.now()): HydrationData => ({
  [d.key]: { context: d.context, params: d.params, data, updatedAt, stale: false },
});
