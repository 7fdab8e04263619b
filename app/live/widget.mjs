// The notebook widgets of genlib.notebook (anywidget): Explorer's sliders, LatentMap's hover previews and
// Interpolation's scrub. Everything arrives as widget state over the kernel's connection, nothing from a URL: the
// app's own module app/live/lab.mjs (as text, imported here from a Blob URL, so the app and the notebook run one
// source), onnxruntime-web's files and the model's decoder. Digits are decoded here on every animation frame
// while a control moves; Python hears the value on release and answers every sync (genlib/notebook/widgets.py),
// so a kernel that no longer answers is said in one line while the digit keeps drawing.
const SCALE = 8;
const STRIP_SCALE = 3;
const PREVIEW_SCALE = 6;
const MAP_SIZE = 360;
const HOVER_PX = 12; // a hover or click this close to a point picks it
const ANSWER_MS = 4000; // Python answers a sync in milliseconds; silence this long means no kernel listens

const imports = new Map(); // module text -> the promise of its import: one module instance per page

function scriptUrl(text) {
  return URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
}

function importText(text) {
  if (!imports.has(text)) imports.set(text, import(scriptUrl(text)));
  return imports.get(text);
}

// a Bytes trait arrives as a DataView (or another view of an ArrayBuffer)
function bytesOf(v) {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new Error("a binary field of the widget arrived empty");
}

function floatsOf(v) {
  const b = bytesOf(v);
  return new Float32Array(b.slice().buffer); // a copy: the view may not be 4-byte aligned
}

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// the runtime and the model's decoder session, each loaded once per page and shared by every widget
async function decoderOf(lab, model) {
  const ort = await lab.loadRuntimeFrom(model.get("_runtime_key"), async () => ({
    module: scriptUrl(model.get("_ort_module")),
    glue: scriptUrl(model.get("_ort_glue")),
    wasm: await inflate(bytesOf(model.get("_ort_wasm"))),
  }));
  const p = lab.page();
  p.sessions ??= new Map();
  const session = await lab.once(p.sessions, `notebook:${model.get("_decoder_key")}`, async () =>
    ort.InferenceSession.create(await inflate(bytesOf(model.get("_decoder"))), { executionProviders: ["wasm"] }),
  );
  return { ort, session };
}

// ------------------------------------------------------------------ what every widget does
class View {
  constructor(lab, model, el) {
    this.lab = lab;
    this.model = model;
    this.kind = model.get("_kind");
    this.name = model.get("model_name");
    this.root = lab.el("div", { class: "latent-lab", "data-kind": this.kind, "data-state": "loading" });
    this.line = lab.el("p", { class: "status", role: "status" }, "Loading the decoder…");
    this.frames = new lab.FrameScheduler(() => this.redraw());
    this.waiting = null;
    this.onMessage = (msg) => {
      if (msg?.synced !== this.waiting) return;
      clearTimeout(this.answerTimer);
      this.waiting = null;
      this.root.dataset.synced = String(msg.synced);
      if (this.root.dataset.kernel === "gone") this.status("");
      delete this.root.dataset.kernel;
    };
    model.on("msg:custom", this.onMessage);
    el.append(this.root);
  }

  async start() {
    try {
      const { ort, session } = await decoderOf(this.lab, this.model);
      this.ort = ort;
      this.session = session;
      this.root.dataset.state = "ready";
      this.status("");
      this.frames.start();
      this.frames.request();
    } catch (err) {
      this.fail(`the runtime or ${this.name}'s decoder did not load (${err.message ?? err})`);
    }
  }

  // decode and draw, logged as the app's components log (the tests count frames by it)
  async show(canvas, z, cond, scale) {
    const pixels = await this.lab.decode(this.ort, this.session, z, cond);
    const hash = this.lab.draw(canvas, pixels, scale);
    this.lab.log(this.lab.page().drawn, { t: performance.now(), hash, model: this.name, widget: this.kind });
  }

  async redraw() {
    try {
      await this.draw();
    } catch (err) {
      this.fail(`decoding failed (${err.message ?? err})`);
    }
  }

  status(text) {
    this.line.textContent = text;
  }

  fail(why) {
    this.frames.stop();
    this.root.dataset.state = "failed";
    this.lab.log(this.lab.page().failures, why);
    this.status(`In-browser decoding is unavailable: ${why}.`);
  }

  // values for Python, sent on release; the sync counter makes Python answer
  send(values) {
    for (const [k, v] of Object.entries(values)) this.model.set(k, v);
    const n = (this.model.get("_sync") ?? 0) + 1;
    this.model.set("_sync", n);
    this.waiting = n;
    clearTimeout(this.answerTimer);
    try {
      this.model.save_changes();
    } catch {
      this.noKernel();
      return;
    }
    this.answerTimer = setTimeout(() => this.noKernel(), ANSWER_MS);
  }

  noKernel() {
    this.root.dataset.kernel = "gone";
    this.status("Python did not hear this change: is the kernel running? Restart it and run the cell again.");
  }

  slider(label, min, max, step, value, onInput, onRelease) {
    const id = `ll-${Math.random().toString(36).slice(2)}`;
    const input = this.lab.el("input", { type: "range", id, min, max, step, "aria-label": label });
    input.value = String(value);
    const out = this.lab.el("output", { for: id }, this.lab.fmt(Number(input.value)));
    input._show = () => {
      out.textContent = this.lab.fmt(Number(input.value));
    };
    input.addEventListener("input", () => {
      input._show();
      onInput(Number(input.value));
      this.frames.request();
    });
    input.addEventListener("change", onRelease); // a pointer released the thumb, or a key moved it
    return [this.lab.el("label", { for: id }, label), input, out];
  }

  destroy() {
    this.model.off("msg:custom", this.onMessage);
    clearTimeout(this.answerTimer);
    this.frames.stop();
  }
}

// ------------------------------------------------------------------ Explorer: latent sliders
class ExplorerView extends View {
  build() {
    const { lab, model } = this;
    this.z = Float64Array.from(model.get("z"));
    this.d = this.z.length;
    this.V = Float64Array.from(model.get("_basis"));
    this.cond = this.condFromModel();
    this.canvas = lab.el("canvas", { class: "digit", width: 28 * SCALE, height: 28 * SCALE, role: "img" });
    this.canvas.setAttribute("aria-label", `${this.name}'s digit at the sliders' latent`);
    const controls = lab.el("div", { class: "controls" });
    const limit = model.get("_limit");
    const step = model.get("_step");
    const names = model.get("_directions");
    const shown = lab.el("div", { class: "sliders" });
    const rest = lab.el("div", { class: "sliders" });
    this.sliders = names.map((n, i) => {
      const parts = this.slider(
        n,
        -limit,
        limit,
        step,
        0,
        (v) => this.setCoord(i, v),
        () => this.sync(),
      );
      (i < model.get("_shown") ? shown : rest).append(...parts);
      return parts[1];
    });
    controls.append(shown);
    if (this.d > model.get("_shown")) {
      const more = lab.el("details");
      more.append(lab.el("summary", {}, `More directions: the other ${this.d - model.get("_shown")}`), rest);
      controls.append(more);
    }
    this.choosers = [];
    if (model.get("_n_labels")) controls.append(this.choices("Label", "label", model.get("_n_labels")));
    if (model.get("_n_categories")) {
      controls.append(this.choices("Categorical code", "category", model.get("_n_categories")));
    }
    const codes = lab.el("div", { class: "sliders" });
    this.codeSliders = model.get("_codes").map((c, j) => {
      const parts = this.slider(
        c.name,
        c.low,
        c.high,
        step,
        this.cond.continuous[j],
        (v) => {
          this.cond.continuous[j] = v;
        },
        () => this.sync(),
      );
      codes.append(...parts);
      return parts[1];
    });
    if (this.codeSliders.length) controls.append(codes);
    this.root.append(this.canvas, controls, this.line);
    this.showControls();
    for (const k of ["z", "label", "category", "continuous"]) model.on(`change:${k}`, () => this.fromPython());
  }

  condFromModel() {
    const m = this.model;
    return { label: m.get("label"), category: m.get("category"), continuous: [...m.get("continuous")] };
  }

  choices(legend, key, n) {
    const { lab } = this;
    const fs = lab.el("fieldset");
    fs.append(lab.el("legend", {}, legend));
    const group = `ll-${key}-${Math.random().toString(36).slice(2)}`;
    const radios = [];
    for (let k = 0; k < n; k++) {
      const r = lab.el("input", { type: "radio", name: group, value: k, "aria-label": `${legend} ${k}` });
      r.addEventListener("change", () => {
        if (!r.checked) return;
        this.cond[key] = k;
        this.frames.request();
        this.sync();
      });
      const choice = lab.el("label");
      choice.append(r, document.createTextNode(String(k)));
      fs.append(choice);
      radios.push(r);
    }
    this.choosers.push(() => {
      for (const r of radios) r.checked = Number(r.value) === this.cond[key];
    });
    return fs;
  }

  coord(i) {
    return this.lab.basisCoord(this.V, this.z, i);
  }

  setCoord(i, v) {
    this.lab.setBasisCoord(this.V, this.z, i, v);
  }

  showControls() {
    const limit = this.model.get("_limit");
    this.sliders.forEach((input, i) => {
      input.value = String(Math.min(limit, Math.max(-limit, this.coord(i))));
      input._show();
    });
    this.codeSliders.forEach((input, j) => {
      input.value = String(this.cond.continuous[j]);
      input._show();
    });
    for (const update of this.choosers) update();
  }

  // Python set the latent (or this page's own set echoes back): applied when it differs from what is shown
  fromPython() {
    const z = this.model.get("z");
    const cond = this.condFromModel();
    const same =
      z.length === this.d &&
      z.every((v, j) => Math.abs(v - this.z[j]) < 1e-9) &&
      JSON.stringify(cond) === JSON.stringify(this.cond);
    if (same) return;
    this.z = Float64Array.from(z);
    this.cond = cond;
    this.showControls();
    this.frames.request();
  }

  sync() {
    this.send({
      z: Array.from(this.z),
      label: this.cond.label,
      category: this.cond.category,
      continuous: [...this.cond.continuous],
    });
  }

  async draw() {
    const cond = { ...this.cond, continuous: [...this.cond.continuous] };
    await this.show(this.canvas, this.z.slice(), cond, SCALE);
  }
}

// ------------------------------------------------------------------ LatentMap: hover previews, click to select
class MapView extends View {
  build() {
    const { lab, model } = this;
    this.xy = floatsOf(model.get("_xy"));
    this.Z = floatsOf(model.get("_z"));
    this.labels = bytesOf(model.get("_labels"));
    this.palette = model.get("_palette");
    this.categories = bytesOf(model.get("_categories"));
    this.codes = floatsOf(model.get("_continuous"));
    this.index = new Int32Array(bytesOf(model.get("_index")).slice().buffer);
    this.n = this.labels.length;
    this.d = this.Z.length / this.n;
    this.k = this.codes.length / this.n;
    this.hover = null;
    this.map = lab.el("canvas", { class: "map", width: MAP_SIZE, height: MAP_SIZE, role: "img" });
    this.map.setAttribute(
      "aria-label",
      `${this.name}'s test digits on a 2-D map, coloured by digit: arrow keys step through them, Enter selects one`,
    );
    this.preview = lab.el("canvas", { class: "preview", width: 28 * PREVIEW_SCALE, height: 28 * PREVIEW_SCALE });
    this.preview.setAttribute("role", "img");
    this.preview.setAttribute("aria-label", "the hovered digit, decoded here");
    this.map.tabIndex = 0; // from the keyboard: arrows step through the digits, Enter selects
    this.caption = lab.el(
      "p",
      { class: "caption", "aria-live": "polite" },
      "Hover a point to decode it; click to select it.",
    );
    const side = lab.el("div");
    side.append(this.preview, this.caption);
    this.root.append(this.map, side, this.line);
    this.scale();
    this.paint();
    this.map.addEventListener("mousemove", (e) => {
      const i = this.nearest(e);
      if (i !== null && i !== this.hover) this.hoverOn(i);
    });
    this.map.addEventListener("click", (e) => {
      const i = this.nearest(e);
      if (i !== null) this.select(i);
    });
    this.map.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
      if (step) this.hoverOn(((this.hover ?? -1) + step + this.n) % this.n);
      else if ((e.key === "Enter" || e.key === " ") && this.hover !== null) this.select(this.hover);
      else return;
      e.preventDefault();
    });
    model.on("change:selected", () => this.paint(this.pointOf(model.get("selected"))));
  }

  hoverOn(i) {
    this.hover = i;
    this.caption.textContent = `test digit #${this.index[i]}, a ${this.labels[i]}`;
    this.paint();
    this.frames.request();
  }

  select(i) {
    this.paint(i);
    this.send({ selected: this.index[i] });
  }

  scale() {
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < this.n; i++) {
      x0 = Math.min(x0, this.xy[2 * i]);
      x1 = Math.max(x1, this.xy[2 * i]);
      y0 = Math.min(y0, this.xy[2 * i + 1]);
      y1 = Math.max(y1, this.xy[2 * i + 1]);
    }
    const pad = 8;
    const span = MAP_SIZE - 2 * pad;
    this.px = (i) => [
      pad + ((this.xy[2 * i] - x0) / (x1 - x0 || 1)) * span,
      pad + (1 - (this.xy[2 * i + 1] - y0) / (y1 - y0 || 1)) * span, // up is up
    ];
  }

  pointOf(testIndex) {
    if (testIndex === null || testIndex === undefined) return null;
    const i = this.index.indexOf(testIndex);
    return i < 0 ? null : i;
  }

  paint(selected = this.pointOf(this.model.get("selected"))) {
    const ctx = this.map.getContext("2d");
    ctx.clearRect(0, 0, MAP_SIZE, MAP_SIZE);
    ctx.globalAlpha = 0.6;
    for (let i = 0; i < this.n; i++) {
      const [x, y] = this.px(i);
      ctx.fillStyle = this.palette[this.labels[i] % 10];
      ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
    }
    ctx.globalAlpha = 1;
    this.ring(ctx, this.hover, "#888");
    this.ring(ctx, selected, "#000");
  }

  ring(ctx, i, colour) {
    if (i === null) return;
    const [x, y] = this.px(i);
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(x, y, 6, 0, 2 * Math.PI);
    ctx.stroke();
  }

  nearest(e) {
    const r = this.map.getBoundingClientRect();
    const mx = ((e.clientX - r.left) * MAP_SIZE) / r.width;
    const my = ((e.clientY - r.top) * MAP_SIZE) / r.height;
    let best = null;
    let bestD = HOVER_PX * HOVER_PX;
    for (let i = 0; i < this.n; i++) {
      const [x, y] = this.px(i);
      const d = (x - mx) ** 2 + (y - my) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    }
    return best;
  }

  async draw() {
    const i = this.hover;
    if (i === null) return;
    const z = this.Z.subarray(i * this.d, (i + 1) * this.d);
    const cond = {
      label: this.labels[i],
      category: this.categories.length ? this.categories[i] : null,
      continuous: Array.from(this.codes.subarray(i * this.k, (i + 1) * this.k)),
    };
    await this.show(this.preview, z, cond, PREVIEW_SCALE);
  }
}

// ------------------------------------------------------------------ Interpolation: a strip and a scrub
class PathView extends View {
  build() {
    const { lab, model } = this;
    this.a = model.get("_a");
    this.b = model.get("_b");
    this.method = model.get("_method");
    this.cond = model.get("_cond");
    this.canvas = lab.el("canvas", { class: "digit", width: 28 * SCALE, height: 28 * SCALE, role: "img" });
    this.canvas.setAttribute("aria-label", `${this.name}'s digit at the scrub's point of the path`);
    const steps = model.get("_steps");
    this.strip = Array.from({ length: steps }, (_, s) => {
      const c = lab.el("canvas", { width: 28 * STRIP_SCALE, height: 28 * STRIP_SCALE, role: "img" });
      c.setAttribute("aria-label", `step ${s + 1} of ${steps}`);
      return c;
    });
    const strip = lab.el("div", { class: "strip" });
    strip.append(...this.strip);
    const scrub = lab.el("div", { class: "sliders" });
    const parts = this.slider(
      "t (a → b)",
      0,
      1,
      0.01,
      model.get("t"),
      () => {},
      () => this.send({ t: Number(this.input.value) }),
    );
    this.input = parts[1];
    scrub.append(...parts);
    this.root.append(this.canvas, scrub, strip, this.line);
    model.on("change:t", () => {
      if (Math.abs(Number(this.input.value) - model.get("t")) < 1e-9) return;
      this.input.value = String(model.get("t"));
      this.input._show();
      this.frames.request();
    });
  }

  async draw() {
    if (!this.stripDrawn) {
      const steps = this.strip.length;
      for (let s = 0; s < steps; s++) {
        const z = this.lab.pathPoint(this.a, this.b, s / (steps - 1), this.method);
        await this.show(this.strip[s], z, this.cond, STRIP_SCALE);
      }
      this.stripDrawn = true;
    }
    const z = this.lab.pathPoint(this.a, this.b, Number(this.input.value), this.method);
    await this.show(this.canvas, z, this.cond, SCALE);
  }
}

const VIEWS = { explorer: ExplorerView, map: MapView, interpolation: PathView };

export default {
  async render({ model, el }) {
    let lab;
    try {
      lab = await importText(model.get("_lab"));
    } catch (err) {
      el.textContent = `latent-lab's browser module did not load: ${err.message ?? err}`;
      return;
    }
    const view = new VIEWS[model.get("_kind")](lab, model, el);
    view.build();
    view.start();
    return () => view.destroy();
  },
};
