/**
 * `@mizan/runtime/devtools`: a small panel, in plain DOM, listing the client's entries and, for
 * every fetch, what caused it — the mutation (in this tab or another), a response header, a
 * push, focus, a mount. A separate entry point: the kernel bundle does not pay for it. Mount
 * it in development only, and before the first render, so that it sees the first fetches:
 *
 * ```ts
 * import { mountDevtools } from "@mizan/runtime/devtools";
 * const client = new MizanClient();
 * if (import.meta.env.DEV) mountDevtools(client); // a production build drops it, import included
 * createRoot(root).render(…);
 * ```
 *
 * The panel learns causes from `client.on("fetch")`, so a fetch that started before it was
 * mounted (a panel imported lazily) is listed with the cause `(before devtools)`.
 */
import type { MizanClient } from "./client";
import { listEntries } from "./list-entries";
import type { Cause } from "./types";

export interface DevtoolsOptions {
  /** where the panel goes; default document.body */
  parent?: HTMLElement;
  /** start expanded; default true */
  open?: boolean;
  /** how many fetches the log keeps; default 50 */
  limit?: number;
}

/** One line of the fetch log. */
interface LogLine {
  time: number;
  key: string;
  cause: Cause;
  outcome: "…" | "ok" | "error";
}

const STYLE = `
.mizan-devtools{position:fixed;right:12px;bottom:12px;z-index:2147483647;width:min(460px,calc(100vw - 24px));max-height:50vh;display:flex;flex-direction:column;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#e6e8eb;background:#16181d;border:1px solid #2c313a;border-radius:8px;box-shadow:0 8px 24px rgba(0,0,0,.35);overflow:hidden}
.mizan-devtools summary{cursor:pointer;padding:6px 10px;background:#1f232b;font-weight:600;list-style:none}
.mizan-devtools summary::-webkit-details-marker{display:none}
.mizan-devtools details{display:flex;flex-direction:column;min-height:0}
.mizan-devtools .mz-body{overflow:auto;padding:4px 10px 8px}
.mizan-devtools h4{margin:8px 0 4px;font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:#8b93a1}
.mizan-devtools table{width:100%;border-collapse:collapse}
.mizan-devtools td{padding:2px 4px;border-top:1px solid #232830;vertical-align:top;word-break:break-all}
.mizan-devtools .mz-success{color:#7ee2a8}.mizan-devtools .mz-error{color:#ff8f8f}.mizan-devtools .mz-pending{color:#f2cc60}
.mizan-devtools .mz-cause{color:#9cc3ff}
`;

/** The cause shown for a fetch that started before the panel was mounted. */
const BEFORE = "(before devtools)";

const time = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { hour12: false });

/** Mounts the panel; returns the function that removes it and stops listening. */
export function mountDevtools(client: MizanClient, options: DevtoolsOptions = {}): () => void {
  const { parent = document.body, open = true, limit = 50 } = options;
  const root = document.createElement("aside");
  root.className = "mizan-devtools";
  root.setAttribute("data-mizan-devtools", "");
  root.innerHTML = `<style>${STYLE}</style><details${open ? " open" : ""}><summary>Mizan devtools</summary><div class="mz-body"><h4>Entries</h4><table data-entries></table><h4>Fetches (newest first): what caused each</h4><table data-log></table></div></details>`;
  parent.append(root);
  const entriesTable = root.querySelector("[data-entries]")!;
  const logTable = root.querySelector("[data-log]")!;
  const log: LogLine[] = [];

  const cell = (text: string, className = "") => {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  };
  const row = (...cells: HTMLTableCellElement[]) => {
    const tr = document.createElement("tr");
    tr.append(...cells);
    return tr;
  };

  // Fetches already under way: they started before the panel listened, their cause is unknown.
  for (const { key, state } of listEntries(client))
    if (state.fetchStatus != "idle") log.push({ time: Date.now(), key, cause: BEFORE, outcome: "…" });

  let scheduled = false;
  const render = () => {
    scheduled = false;
    entriesTable.replaceChildren(
      ...listEntries(client).map(({ key, state, observers }) => {
        const tr = row(
          cell(key),
          cell(state.status + (state.fetchStatus == "idle" ? "" : " · " + state.fetchStatus) + (state.stale ? " · stale" : ""), "mz-" + state.status),
          cell(observers + " obs"),
          cell(state.updatedAt ? time(state.updatedAt) : "–"),
        );
        tr.dataset.key = key;
        return tr;
      }),
    );
    logTable.replaceChildren(
      ...log.map(({ time: at, key, cause, outcome }) => {
        const tr = row(cell(time(at)), cell(key), cell(cause, "mz-cause"), cell(outcome, outcome == "error" ? "mz-error" : ""));
        tr.dataset.key = key;
        tr.dataset.cause = cause;
        return tr;
      }),
    );
  };
  // One render per frame at most, however many events arrive.
  const update = () => {
    if (!scheduled) (scheduled = true), setTimeout(render, 16);
  };

  const finish = (key: string, outcome: LogLine["outcome"]) => {
    const line = log.find((l) => l.key == key && l.outcome == "…");
    if (line) line.outcome = outcome;
    update();
  };
  const stops = [
    client.on("fetch", ({ key, cause }) => {
      log.unshift({ time: Date.now(), key, cause, outcome: "…" });
      log.length = Math.min(log.length, limit);
      update();
    }),
    client.on("success", ({ key }) => finish(key, "ok")),
    client.on("error", ({ key }) => finish(key, "error")),
    client.on("invalidate", update),
  ];
  // Entry states change without events too (GC, setData, observers): a slow poll catches them.
  const poll = setInterval(update, 1000);
  render();
  return () => {
    stops.forEach((stop) => stop());
    clearInterval(poll);
    root.remove();
  };
}
