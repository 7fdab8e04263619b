// Interpolate: a scrub slider along the path from A to B that decodes in the browser at every position (the path
// as genlib.explorer.operands.path_states builds it: slerp or lerp for z, lerp for continuous codes, label and
// category switching half way). (app/live/loader.js comes first in the same module.)
const SCRUB_SCALE = 8;

function build(lab, root) {
  const box = lab.el("div", { class: "scrub" });
  const id = `scrub-${Math.random().toString(36).slice(2)}`; // unique on the page, whatever else is mounted
  const label = lab.el("label", { for: id }, "Scrub along the path (decoded in your browser)");
  const input = lab.el("input", { type: "range", id, min: 0, max: 1, step: 0.01, value: 0.5 });
  const canvas = lab.el("canvas", {
    class: "scrub-digit",
    width: 28 * SCRUB_SCALE,
    height: 28 * SCRUB_SCALE,
    role: "img",
    "aria-label": "The digit at this point of the path",
  });
  const status = lab.el("p", { class: "status", role: "status" }, "Loading the in-browser decoder…");
  box.append(label, input, canvas, status);
  root.append(box);
  return { box, input, canvas, status };
}

export default withLab("scrub", (lab, component) => {
  const { data, parentElement, setTriggerValue } = component;
  const G = lab.page();
  const st = lab.mounted(parentElement, () => build(lab, parentElement));
  st.data = data;
  const failed = (err) => {
    st.frames.stop();
    st.box.dataset.state = "failed";
    st.status.textContent = `In-browser decoding is unavailable here (${err?.message ?? err}); the strip above is decoded on the server.`;
    setTriggerValue("health", lab.health("scrub", false, err));
  };
  st.frames ??= new lab.FrameScheduler(async () => {
    const d = st.data;
    const t = Number(st.input.value);
    const near = t < 0.5 ? d.a : d.b;
    const continuous = d.a.continuous.map((x, i) => (1 - t) * x + t * d.b.continuous[i]);
    const z = lab.pathPoint(d.a.z, d.b.z, t, d.method);
    try {
      const pixels = await lab.decode(st.ort, st.session, z, { ...near, continuous });
      lab.log(G.drawn, {
        t: performance.now(),
        hash: lab.draw(st.canvas, pixels, SCRUB_SCALE),
        model: `${d.model}:scrub`,
      });
    } catch (err) {
      failed(err);
    }
  });
  if (!st.listening) {
    st.listening = true;
    st.input.addEventListener("input", () => {
      const t = Number(st.input.value);
      st.input.setAttribute("aria-valuenow", st.input.value);
      st.input.setAttribute("aria-valuetext", `${Math.round(t * 100)}% of the way from A to B`);
      st.frames.request();
    });
  }
  st.frames.stop();
  (async () => {
    try {
      [st.ort, st.session] = await Promise.all([
        lab.loadRuntime(data.runtime),
        lab.loadSession(data.runtime, data.decoder),
      ]);
      st.status.textContent = "";
      st.box.dataset.state = "ready";
      st.frames.start();
    } catch (err) {
      failed(err);
    }
  })();
  st.frames.request();
});
