// Interpolate: a scrub slider along the path from A to B that decodes in the browser at every position
// (the path as genlib.explorer.session.path_states builds it: slerp or lerp for z, lerp for continuous codes,
// label and category switching half way). (app/live/runtime.js comes first in the same module.)
const SCRUB_SCALE = 8;

function pathPoint(a, b, t, method) {
  const n = a.length;
  const out = new Float64Array(n);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < n; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.max(Math.sqrt(na * nb), 1e-12))));
  const straight = method === "lerp" || omega < 1e-6 || Math.PI - omega < 1e-6;
  for (let i = 0; i < n; i++) {
    out[i] = straight ? (1 - t) * a[i] + t * b[i]
      : (Math.sin((1 - t) * omega) * a[i] + Math.sin(t * omega) * b[i]) / Math.sin(omega);
  }
  return out;
}

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement;
  let st = root.__scrub;
  if (!st) {
    st = root.__scrub = { dirty: true, busy: false };
    const box = el("div", { class: "scrub" });
    const label = el("label", { for: "scrub-t" }, "Scrub along the path (decoded in your browser)");
    const input = el("input", { type: "range", id: "scrub-t", min: 0, max: 1, step: 0.01, value: 0.5 });
    const canvas = el("canvas", { class: "scrub-digit", width: 28 * SCRUB_SCALE, height: 28 * SCRUB_SCALE,
      role: "img", "aria-label": "The digit at this point of the path" });
    const status = el("p", { class: "status", role: "status" }, "Loading the in-browser decoder…");
    box.append(label, input, canvas, status);
    root.append(box);
    Object.assign(st, { input, canvas, status });
    const frame = async () => {
      st.raf = null;
      if (!st.dirty || st.busy || !st.session) return;
      st.dirty = false;
      st.busy = true;
      try {
        const d = st.data;
        const t = Number(input.value);
        const near = t < 0.5 ? d.a : d.b;
        const cont = d.a.continuous.map((x, i) => (1 - t) * x + t * d.b.continuous[i]);
        const z = pathPoint(d.a.z, d.b.z, t, d.method);
        const hash = draw(canvas, await decode(st.ort, st.session, z, { ...near, continuous: cont }), SCRUB_SCALE);
        log(G.drawn, { t: performance.now(), hash, model: `${d.model}:scrub` });
      } catch (err) {
        status.textContent = `In-browser decoding is unavailable here (${err.message ?? err}); the strip above is decoded on the server.`;
      } finally {
        st.busy = false;
        if (st.dirty && !st.raf) st.raf = requestAnimationFrame(frame);
      }
    };
    st.changed = () => {
      st.dirty = true;
      const t = Number(input.value);
      input.setAttribute("aria-valuenow", input.value);
      input.setAttribute("aria-valuetext", `${Math.round(t * 100)}% of the way from A to B`);
      if (!st.raf) st.raf = requestAnimationFrame(frame);
    };
    input.addEventListener("input", st.changed);
  }
  st.data = data;
  (async () => {
    try {
      [st.ort, st.session] = await Promise.all([loadRuntime(data.runtime), loadSession(data.runtime, data.decoder)]);
      st.status.textContent = "";
      st.changed();
    } catch (err) {
      st.status.textContent = `In-browser decoding is unavailable here (${err.message ?? err}); the strip above is decoded on the server.`;
    }
  })();
  st.changed();
}
