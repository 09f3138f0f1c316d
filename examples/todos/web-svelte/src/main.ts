import { MizanClient } from "@mizan/runtime";
import { crossTab } from "@mizan/runtime/cross-tab";
import { mount } from "svelte";

import Root from "./Root.svelte";
import "../../web/src/styles.css";

const client = new MizanClient({
  // The form route redirects to `/`, which is this page: stay, the invalidation it carried
  // has already refreshed what changed.
  navigate: (url) => {
    if (new URL(url, location.href).pathname !== location.pathname) location.assign(url);
  },
});
// A change made in one tab refetches what it invalidated in every other tab.
crossTab(client);

const target = document.getElementById("root");
if (target === null) throw new Error("index.html has no #root");
mount(Root, { target, props: { client } });

// In development, the devtools panel lists the entries and, for every fetch, what caused it
// (which mutation, in this tab or another). Not part of a production build.
if (import.meta.env.DEV) {
  void import("@mizan/runtime/devtools").then(({ mountDevtools }) =>
    mountDevtools(client, { parent: document.getElementById("devtools") ?? document.body }),
  );
}
