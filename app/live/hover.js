// Latent map: hovering a point decodes its z in the browser at once and rings the point. The encodings are
// fetched once per model from a URL the browser caches: float32 z (n × d), float32 continuous codes (n × k, k = 0
// for a model without codes), one uint8 label per test digit, then (k > 0) one uint8 category per digit: each z
// decodes to its digit only with the codes it was refined for. (app/live/runtime.js comes first in the module.)
const HOVER_SCALE = 6;

function loadEncodings(url, n, d, k) {
  G.encodings ??= new Map();
  if (!G.encodings.has(url)) {
    G.encodings.set(url, fetchBytes(url).then(({ buffer }) => {
      const bytes = n * (d + k) * 4;
      return {
        z: new Float32Array(buffer, 0, n * d),
        continuous: new Float32Array(buffer, n * d * 4, n * k),
        labels: new Uint8Array(buffer, bytes, n),
        category: k ? new Uint8Array(buffer, bytes + n, n) : null,
      };
    }));
  }
  return G.encodings.get(url);
}

function pointIndex(pt) {
  const cd = pt.customdata ?? pt.data?.customdata?.[pt.pointIndex];
  if (typeof cd === "number") return cd;
  if (cd && typeof cd === "object") return Number(Object.values(cd)[0]); // WebGL traces: {'0': 873}
  return null;
}

export default function (component) {
  const { data, parentElement } = component;
  const root = parentElement;
  let st = root.__hover;
  if (!st) {
    st = root.__hover = {};
    const box = el("div", { class: "hover" });
    const canvas = el("canvas", { class: "hover-digit", width: 28 * HOVER_SCALE, height: 28 * HOVER_SCALE,
      role: "img", "aria-label": "Hover a point on the map to decode it here" });
    const caption = el("p", { class: "caption", "aria-live": "polite" }, "Hover a point: its digit is decoded here, in your browser.");
    box.append(el("strong", {}, "Hover preview"), canvas, caption);
    root.append(box);
    const ring = el("div", { class: "latent-lab-ring", "aria-hidden": "true" });
    Object.assign(ring.style, { position: "fixed", width: "18px", height: "18px", margin: "-9px 0 0 -9px",
      border: "2.5px solid black", borderRadius: "50%", boxShadow: "0 0 0 1.5px white", pointerEvents: "none",
      zIndex: 1000, display: "none" });
    document.body.append(ring);
    Object.assign(st, { canvas, caption, ring });
  }
  st.data = data;
  const show = async (evt) => {
    const pt = evt.points?.[0];
    const idx = pt ? pointIndex(pt) : null;
    if (idx === null || !st.session || !st.enc || idx < 0 || idx >= data.n) return;
    const started = evt.event?.timeStamp ?? performance.now();
    const gd = st.gd;
    const L = gd._fullLayout;
    const rect = gd.getBoundingClientRect();
    Object.assign(st.ring.style, { display: "block",
      left: `${rect.left + L.xaxis._offset + L.xaxis.l2p(pt.x)}px`, top: `${rect.top + L.yaxis._offset + L.yaxis.l2p(pt.y)}px` });
    const z = st.enc.z.subarray(idx * data.d, (idx + 1) * data.d);
    const label = st.enc.labels[idx];
    const cond = {
      label: data.conditional ? label : null,
      category: st.enc.category ? st.enc.category[idx] : null,
      continuous: Array.from(st.enc.continuous.subarray(idx * data.k, (idx + 1) * data.k)),
    };
    const token = (st.token = (st.token ?? 0) + 1);
    const pixels = await decode(st.ort, st.session, z, cond);
    if (token !== st.token) return; // a newer hover already drew
    const hash = draw(st.canvas, pixels, HOVER_SCALE);
    const now = performance.now();
    log(G.hover, { ms: now - started, index: idx, hash });
    st.canvas.setAttribute("aria-label", `Test digit ${idx} (label ${label}) decoded from its z`);
    st.caption.textContent = `test #${idx} (label ${label}), decoded from its z`;
  };
  const hook = () => {
    const gd = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
    if (gd && typeof gd.on === "function" && gd._fullLayout?.xaxis && !gd.__latentLabHover) {
      gd.__latentLabHover = true;
      st.gd = gd;
      gd.on("plotly_hover", (evt) => show(evt).catch((err) => log(G.failures, `hover: ${err.message ?? err}`)));
      gd.on("plotly_unhover", () => { st.ring.style.display = "none"; });
    } else if (gd?.__latentLabHover) st.gd = gd;
  };
  clearInterval(st.poll);
  st.poll = setInterval(hook, 300); // the chart may be drawn (or redrawn) after this component
  hook();
  (async () => {
    try {
      [st.ort, st.session, st.enc] = await Promise.all([
        loadRuntime(data.runtime),
        loadSession(data.runtime, data.decoder),
        loadEncodings(data.encodings, data.n, data.d, data.k),
      ]);
      root.querySelector(".hover").dataset.state = "ready";
    } catch (err) {
      st.caption.textContent = `In-browser decoding is unavailable here (${err.message ?? err}); click a point instead.`;
    }
  })();
  return () => { clearInterval(st.poll); st.ring.style.display = "none"; };
}
