import type { MizanClient } from "./client";

/** What both observers hold: the client, and the descriptor and options of the current
 *  render (`setOptions()`, which notifies nobody). */
export class Observer<Descriptor, Options extends object> {
  protected declare client_: MizanClient;
  protected declare descriptor_: Descriptor;
  protected declare options_: Options;

  constructor(client: MizanClient, d: Descriptor, options?: Options) {
    this.client_ = client;
    this.setOptions(d, options);
  }

  /** The descriptor and options of the current render; notifies nobody. */
  setOptions(d: Descriptor, options?: Options): void {
    this.descriptor_ = d;
    this.options_ = options ?? ({} as Options);
  }
}
