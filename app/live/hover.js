// Latent map: hovering a point decodes its z in the browser at once and rings the point. The encodings are
// fetched once per model from a URL the browser caches: float32 z (n × d), float32 continuous codes (n × k, k = 0
// for a model without codes), one uint8 label per test digit, then (k > 0) one uint8 category per digit: each z
// decodes to its digit only with the codes it was refined for. Only plotly's public API is used: the graph div's
// `on` and the hover event's points (customdata, bbox). (app/live/loader.js comes first in the same module.)
const HOVER_SCALE = 6;
const PLOT = ".js-plotly-plot"; // the class plotly gives every graph div

function loadEncodings(lab, url, n, d, k) {
  const G = lab.page();
  G.encodings ??= new Map();
  return lab.once(G.encodings, url, async () => {
    const { buffer } = await lab.fetchBytes(url);
    const bytes = n * (d + k) * 4;
    if (buffer.byteLength !== bytes + n * (k ? 2 : 1)) throw new Error("the encodings file has the wrong size");
    return {
      z: new Float32Array(buffer, 0, n * d),
      continuous: new Float32Array(buffer, n * d * 4, n * k),
      labels: new Uint8Array(buffer, bytes, n),
      category: k ? new Uint8Array(buffer, bytes + n, n) : null,
    };
  });
}

function pointIndex(pt) {
  const cd = pt.customdata ?? pt.data?.customdata?.[pt.pointIndex];
  if (typeof cd === "number") return cd;
  if (Array.isArray(cd)) return Number(cd[0]);
  if (cd && typeof cd === "object") return Number(Object.values(cd)[0]); // WebGL traces: {'0': 873}
  return null;
}

function build(lab, root) {
  const box = lab.el("div", { class: "hover" });
  const canvas = lab.el("canvas", {
    class: "hover-digit",
    width: 28 * HOVER_SCALE,
    height: 28 * HOVER_SCALE,
    role: "img",
    "aria-label": "Hover a point on the map to decode it here",
  });
  const caption = lab.el(
    "p",
    { class: "caption", "aria-live": "polite" },
    "Hover a point: its digit is decoded here, in your browser.",
  );
  box.append(lab.el("strong", {}, "Hover preview"), canvas, caption);
  root.append(box);
  const ring = lab.el("div", { class: "latent-lab-ring", "aria-hidden": "true" });
  Object.assign(ring.style, {
    position: "fixed",
    width: "18px",
    height: "18px",
    margin: "-9px 0 0 -9px",
    border: "2.5px solid black",
    borderRadius: "50%",
    boxShadow: "0 0 0 1.5px white",
    pointerEvents: "none",
    zIndex: 1000,
    display: "none",
  });
  document.body.append(ring);
  return { box, canvas, caption, ring, hooked: new WeakSet(), token: 0 };
}

export default withLab("hover", (lab, component) => {
  const { data, parentElement, setTriggerValue } = component;
  const G = lab.page();
  const st = lab.mounted(parentElement, () => build(lab, parentElement));
  st.data = data;
  if (!st.ring.isConnected) document.body.append(st.ring); // after a cleanup, the same mount comes back

  const show = async (gd, evt) => {
    const pt = evt.points?.[0];
    const idx = pt ? pointIndex(pt) : null;
    if (idx === null || !st.session || !st.enc || !(idx >= 0 && idx < st.data.n)) return;
    const started = evt.event?.timeStamp ?? performance.now();
    const rect = gd.getBoundingClientRect();
    const b = pt.bbox; // the hovered point, in the graph div's pixels
    const at = b
      ? [rect.left + (b.x0 + b.x1) / 2, rect.top + (b.y0 + b.y1) / 2]
      : [evt.event?.clientX, evt.event?.clientY];
    Object.assign(st.ring.style, { display: "block", left: `${at[0]}px`, top: `${at[1]}px` });
    const { d, k } = st.data;
    const label = st.enc.labels[idx];
    const cond = {
      label: st.data.conditional ? label : null,
      category: st.enc.category ? st.enc.category[idx] : null,
      continuous: Array.from(st.enc.continuous.subarray(idx * k, (idx + 1) * k)),
    };
    const token = ++st.token;
    const pixels = await lab.decode(st.ort, st.session, st.enc.z.subarray(idx * d, (idx + 1) * d), cond);
    if (token !== st.token) return; // a newer hover already drew
    const hash = lab.draw(st.canvas, pixels, HOVER_SCALE);
    lab.log(G.hover, { ms: performance.now() - started, index: idx, hash });
    st.canvas.setAttribute("aria-label", `Test digit ${idx} (label ${label}) decoded from its z`);
    st.caption.textContent = `test #${idx} (label ${label}), decoded from its z`;
  };
  const failed = (err) => {
    const why = `hover decoding failed (${err?.message ?? err})`;
    lab.log(G.failures, why);
    st.caption.textContent = `In-browser decoding is unavailable here (${err?.message ?? err}); click a point instead.`;
    setTriggerValue("health", lab.health("hover", false, why));
  };
  // the chart may be drawn, or drawn again, after this component: hook every graph div as it appears
  const hook = () => {
    for (const gd of document.querySelectorAll(PLOT)) {
      if (st.hooked.has(gd) || typeof gd.on !== "function") continue;
      st.hooked.add(gd);
      gd.on("plotly_hover", (evt) => show(gd, evt).catch(failed));
      gd.on("plotly_unhover", () => {
        st.ring.style.display = "none";
      });
    }
  };
  st.observer?.disconnect();
  st.observer = new MutationObserver(hook);
  st.observer.observe(document.body, { childList: true, subtree: true });
  hook();
  (async () => {
    try {
      [st.ort, st.session, st.enc] = await Promise.all([
        lab.loadRuntime(data.runtime),
        lab.loadSession(data.runtime, data.decoder),
        loadEncodings(lab, data.encodings, data.n, data.d, data.k),
      ]);
      st.box.dataset.state = "ready";
    } catch (err) {
      st.box.dataset.state = "failed";
      failed(err);
    }
  })();
  return () => {
    st.observer?.disconnect();
    st.ring.remove();
  };
});
