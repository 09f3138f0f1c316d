import { differs, evaluate, type MizanClient, needsFetch, noop } from "./client";
import { MizanError } from "./mizan-error";
import { Observer } from "./observer";
import { replaceEqualDeep } from "./replace-equal-deep";
import { type SkipToken, skipToken } from "./skip-token";
import type { ContextDescriptor, EntryState, FetchStatus, Params } from "./types";

export interface ContextObserverOptions<D, S = D> {
  /** `false`: do not fetch; still show what the client holds for the entry (another
   *  component's data) and its changes. Default true. */
  enabled?: boolean;
  /** Derive what this observer shows from the context data (e.g. one function's result). The
   *  result is structurally shared, so an equal selection keeps its object. */
  select?: (data: D) => S;
  /** Shown (with `isPlaceholderData`, status `success`) while the entry has no data yet: a
   *  value, or a function of the data this observer showed before, e.g. `keepPreviousData`
   *  (the previous page while the next one loads). */
  placeholderData?: D | ((previous: D | undefined) => D | undefined);
}

export interface ContextResult<S, D = S> extends EntryState<S> {
  /** No data yet and a fetch under way or about to start on subscribe (so the first render
   *  of an entry that will fetch is already loading). */
  isLoading: boolean;
  /** A request is in flight (or about to be, as for isLoading). */
  isFetching: boolean;
  /** `data` is the placeholderData, not the entry's. */
  isPlaceholderData: boolean;
  /** Fetch now, deduplicated with any fetch in flight; resolves with the context data. */
  refetch: () => Promise<D>;
}

/**
 * Everything a framework adapter shows for one context entry, framework-free: the entry's
 * state plus `isLoading`/`isFetching`, `select` with structural sharing, placeholder data,
 * passive observation (`enabled: false`) and `skipToken`. An adapter calls `setOptions()`
 * while rendering, and binds `subscribe`/`getResult` (stable functions) to its reactivity:
 * `getResult()` returns the same object until something it shows changes.
 */
export class ContextObserver<P extends Params, D, S = D> extends Observer<
  ContextDescriptor<P, D> | SkipToken,
  ContextObserverOptions<D, S>
> {
  private declare result_: ContextResult<S, D> | undefined;
  /** the last entry data this observer showed: keepPreviousData's `previous` */
  private declare previousData_: D | undefined;
  /** the client's identity count when previousData_ was kept */
  private declare identity_: number | undefined;
  /** the input, function and output of the last select() */
  private declare selection_: [from: unknown, select: unknown, selected: unknown] | undefined;

  // Only to infer D from the descriptor rather than from the options.
  constructor(client: MizanClient, d: ContextDescriptor<P, D> | SkipToken, options?: ContextObserverOptions<NoInfer<D>, S>) {
    super(client, d, options);
  }

  /** Subscribes to the current descriptor's entry (actively, unless `enabled: false`). */
  subscribe = (listener: () => void): (() => void) => {
    const d = this.descriptor_;
    return d == skipToken ? noop : this.client_.subscribe(d, listener, this.options_.enabled == false);
  };

  getResult = (): ContextResult<S, D> => {
    const d = this.descriptor_;
    const { enabled = true, select, placeholderData } = this.options_;
    const state: EntryState<D> = this.client_.getState(d);
    let data: unknown = state.data;
    let isPlaceholderData = false;
    // the last data shown is keepPreviousData's `previous` (adapters read every change), but
    // never across an identity change: the previous user's data is not a placeholder
    if (this.identity_ != (this.identity_ = this.client_.identity_)) this.previousData_ = undefined;
    if (data !== undefined) this.previousData_ = data as D;
    else isPlaceholderData = (data = evaluate(placeholderData, this.previousData_)) !== undefined;
    if (select && data !== undefined) {
      const [from, fn, selected] = this.selection_ ?? [];
      this.selection_ = [
        data,
        select,
        (data = data === from && select === fn ? selected : replaceEqualDeep(selected, select(data as D))),
      ];
    }
    // An entry that needs a fetch and has no active observer yet fetches when this one
    // subscribes: say so on the first render already.
    const fetchStatus: FetchStatus =
      d != skipToken && enabled && state.fetchStatus == "idle" && needsFetch(state) && !this.client_.find_(d)?.active_
        ? "fetching"
        : state.fetchStatus;
    const status = isPlaceholderData ? "success" : state.status;
    const next: ContextResult<S, D> = {
      ...state,
      status,
      fetchStatus,
      data: data as S | undefined,
      isPlaceholderData,
      isLoading: status == "pending" && fetchStatus != "idle",
      isFetching: fetchStatus == "fetching",
      refetch: this.refetch,
    };
    const previous = this.result_;
    return (this.result_ = previous && !differs(next, previous) ? previous : next);
  };

  /** Fetch now; rejects with a MizanError "skipToken" for skipToken. */
  refetch = async (): Promise<D> => {
    const d = this.descriptor_;
    if (d == skipToken) throw new MizanError("skipToken");
    return this.client_.fetch(d);
  };
}
