// The first lines of every live component's inline module (app/livedecode.py puts them there): the component's own
// code runs with app/live/lab.mjs, imported once per page from data.runtime.module and retried when the import
// fails (a failed import is not kept: the next mount imports it again).
const LAB_TRIES = 3;

function importLab(url) {
  globalThis.__latentLabModule ??= new Map();
  const modules = globalThis.__latentLabModule;
  if (!modules.has(url)) {
    const load = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          // a new URL per try: a browser may keep a failed module fetch for its URL
          const u = new URL(url, window.location.origin);
          if (attempt > 1) u.searchParams.set("try", String(attempt));
          return await import(u.href);
        } catch (err) {
          if (attempt >= LAB_TRIES) throw err;
          await new Promise((resolve) => setTimeout(resolve, 400 * 3 ** (attempt - 1)));
        }
      }
    };
    const promise = load();
    modules.set(url, promise);
    promise.catch(() => modules.delete(url));
  }
  return modules.get(url);
}

// The component's default export: mount(lab, component) once the module is there; a module that did not load is
// reported in lab.health's format. Streamlit awaits the returned promise and calls the cleanup it resolves to on
// unmount.
// biome-ignore lint/correctness/noUnusedVariables: the component's code that follows in the same module calls it
function withLab(name, mount) {
  return async (component) => {
    let lab;
    try {
      lab = await importLab(component.data.runtime.module);
    } catch (err) {
      const why = `the page's script did not load (${err?.message ?? err})`.replace(/https?:\/\/\S+/g, "a file");
      component.setTriggerValue("health", { component: name, ok: false, why });
      return () => {};
    }
    return mount(lab, component) ?? (() => {});
  };
}
