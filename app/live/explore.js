// Live Explore: the latent sliders and condition controls decode in the browser (onnxruntime-web, its
// single-threaded WebAssembly build) on every animation frame while they move; Python hears the latent
// only on release or after STILL_MS of stillness, so the URL, downloads and other pages follow it.
// (app/live/loader.js comes first in the same module; the rest is app/live/lab.mjs.)
const STILL_MS = 250;
const SCALE = 12;
const STRIP_SCALE = 5;
let lab; // app/live/lab.mjs, set on the first mount
let G; // lab.page(): the page-wide log

// ------------------------------------------------------------------ one mounted component
class Live {
  constructor(root, setTriggerValue) {
    this.root = root;
    this.setTriggerValue = setTriggerValue;
    this.box = root.querySelector(".live");
    this.canvas = root.querySelector("canvas.digit");
    this.inputAt = null;
    this.timer = null;
    this.failed = false;
    this.frames = new lab.FrameScheduler(() => this.decodeNow());
  }

  // build the controls for a model (on mount and when the model changes)
  build(data) {
    this.data = data;
    this.model = data.model;
    this.d = data.z_dim;
    this.V = Float64Array.from(data.basis);
    this.sliders = [];
    const shown = this.root.querySelector(".sliders.shown");
    const rest = this.root.querySelector(".sliders.rest");
    const more = this.root.querySelector("details.more");
    shown.replaceChildren();
    rest.replaceChildren();
    data.sliders.forEach((s, i) => {
      const where = i < data.shown ? shown : rest;
      where.append(
        this.slider(`${this.model}-coord${i}`, s.label, s.name, -data.limit, data.limit, data.step, (v) =>
          this.setCoord(i, v),
        ),
      );
    });
    more.hidden = data.z_dim <= data.shown;
    more.querySelector("summary").textContent = `More directions: the other ${data.z_dim - data.shown}`;
    this.root.querySelector(".hint").textContent = data.hint;
    this.buildConditions(data);
    this.buildStrip(data);
  }

  slider(id, label, short, min, max, step, onValue) {
    const wrap = lab.el("div", { class: "slider" });
    const caption = lab.el("label", { for: id }, label);
    const row = lab.el("div", { class: "row" });
    const input = lab.el("input", { type: "range", id, min, max, step, "aria-label": label });
    const out = lab.el("output", { for: id });
    row.append(input, out);
    wrap.append(caption, row);
    const show = () => {
      out.textContent = lab.fmt(Number(input.value));
      input.setAttribute("aria-valuenow", input.value);
      input.setAttribute("aria-valuetext", `${short} ${lab.fmt(Number(input.value))}`);
    };
    input._show = show;
    input.addEventListener("input", () => {
      show();
      onValue(Number(input.value));
      this.changed();
    });
    input.addEventListener("change", () => this.syncSoon(0)); // a pointer released the thumb
    input.addEventListener("keydown", (e) => {
      const s = Number(step);
      const moves = { ArrowRight: s, ArrowUp: s, ArrowLeft: -s, ArrowDown: -s, PageUp: 10 * s, PageDown: -10 * s };
      let v = Number(input.value);
      if (e.key in moves) v += moves[e.key];
      else if (e.key === "Home") v = Number(min);
      else if (e.key === "End") v = Number(max);
      else return;
      e.preventDefault();
      input.value = String(Math.min(Number(max), Math.max(Number(min), Math.round(v / s) * s)));
      show();
      onValue(Number(input.value));
      this.changed();
      this.syncSoon(STILL_MS);
    });
    this.sliders.push(input);
    return wrap;
  }

  choices(legend, name, n, get, set) {
    const fs = lab.el("fieldset");
    fs.append(lab.el("legend", {}, legend));
    const box = lab.el("div", { class: "choices", role: "radiogroup", "aria-label": legend });
    for (let k = 0; k < n; k++) {
      const id = `${this.model}-${name}-${k}`;
      const choice = lab.el("label", { for: id });
      const r = lab.el("input", { type: "radio", name: `${this.model}-${name}`, id, value: k });
      r.addEventListener("change", () => {
        if (r.checked) {
          set(k);
          this.changed();
          this.syncSoon(STILL_MS);
        }
      });
      choice.append(r, document.createTextNode(String(k)));
      box.append(choice);
    }
    fs.append(box);
    fs._update = () => {
      for (const r of box.querySelectorAll("input")) r.checked = Number(r.value) === get();
    };
    return fs;
  }

  buildConditions(data) {
    const box = this.root.querySelector(".conditions");
    box.replaceChildren();
    this.conditionUpdaters = [];
    if (data.labels) {
      const fs = this.choices(
        "Label (the digit to draw)",
        "label",
        data.labels,
        () => this.cond.label,
        (k) => {
          this.cond.label = k;
        },
      );
      box.append(fs);
      this.conditionUpdaters.push(fs._update);
    }
    if (data.categories) {
      const fs = this.choices(
        `Categorical code (one of ${data.categories})`,
        "category",
        data.categories,
        () => this.cond.category,
        (k) => {
          this.cond.category = k;
        },
      );
      box.append(fs);
      this.conditionUpdaters.push(fs._update);
    }
    this.codeSliders = [];
    const codes = lab.el("div", { class: "sliders" });
    data.codes.forEach((c, j) => {
      codes.append(
        this.slider(`${this.model}-cont${j}`, `Continuous code ${c.name}`, c.name, c.low, c.high, data.step, (v) => {
          this.cond.continuous[j] = v;
        }),
      );
      this.codeSliders.push(this.sliders.pop()); // kept apart from the basis sliders
    });
    if (data.codes.length) box.append(codes);
  }

  buildStrip(data) {
    const strip = this.root.querySelector(".strip");
    const cells = strip.querySelector(".cells");
    cells.replaceChildren();
    this.strip = data.strip
      .filter((s) => !s.current)
      .map((s) => {
        const fig = lab.el("figure");
        const canvas = lab.el("canvas", {
          width: 28 * STRIP_SCALE,
          height: 28 * STRIP_SCALE,
          role: "img",
          "aria-label": `${s.name} decoding the same z`,
          "data-model": s.name,
        });
        fig.append(canvas, lab.el("figcaption", {}, s.name));
        cells.append(fig);
        return { ...s, canvas };
      });
    const current = data.strip.find((s) => s.current);
    if (current) {
      const fig = lab.el("figure");
      const canvas = lab.el("canvas", {
        width: 28 * STRIP_SCALE,
        height: 28 * STRIP_SCALE,
        role: "img",
        "aria-label": `${current.name} (this model)`,
        "data-model": current.name,
      });
      fig.append(canvas, lab.el("figcaption", {}, `${current.name} ← this one`));
      cells.prepend(fig);
      this.stripSelf = canvas;
    } else this.stripSelf = null;
    strip.hidden = data.strip.length === 0;
  }

  // the latent Python sent: applied unless it is the echo of what this page synced last
  apply(data) {
    const incoming = JSON.stringify(this.payloadOf(data.z, data));
    if (incoming === this.lastIncoming) return;
    this.lastIncoming = incoming;
    if (incoming === this.lastSent) return;
    this.z = Float32Array.from(data.z);
    this.cond = { label: data.label, category: data.category, continuous: [...data.continuous] };
    this.lastSent = JSON.stringify(this.payload());
    this.showControls();
    this.changed();
  }

  payloadOf(z, c) {
    return { z: Array.from(z), label: c.label ?? null, category: c.category ?? null, continuous: [...c.continuous] };
  }

  payload() {
    return this.payloadOf(this.z, this.cond);
  }

  coord(i) {
    return lab.basisCoord(this.V, this.z, i);
  }

  setCoord(i, v) {
    lab.setBasisCoord(this.V, this.z, i, v);
  }

  showControls() {
    const lim = this.data.limit;
    const step = this.data.step;
    this.sliders.forEach((input, i) => {
      input.value = String(Math.min(lim, Math.max(-lim, Math.round(this.coord(i) / step) * step)));
      input._show();
    });
    this.codeSliders.forEach((input, j) => {
      input.value = String(this.cond.continuous[j]);
      input._show();
    });
    for (const update of this.conditionUpdaters) update();
  }

  changed() {
    if (this.inputAt === null) this.inputAt = performance.now();
    this.frames.request();
  }

  // one decode of the latest latent, then the same z through the other models (the frame scheduler calls it)
  async decodeNow() {
    const inputAt = this.inputAt;
    this.inputAt = null;
    try {
      const z = this.z.slice();
      const cond = { ...this.cond, continuous: [...this.cond.continuous] };
      const pixels = await lab.decode(this.ort, this.session, z, cond);
      const hash = lab.draw(this.canvas, pixels, SCALE);
      if (this.stripSelf) lab.draw(this.stripSelf, pixels, STRIP_SCALE);
      const now = performance.now();
      lab.log(G.drawn, { t: now, hash, model: this.model });
      if (inputAt !== null) lab.log(G.latency, now - inputAt);
      if (!this.firstDraw) {
        this.firstDraw = now;
        // where the wait went: the runtime's import, the decoder's session (the first one also compiles the
        // WebAssembly), the first decode and draw
        lab.log(G.ready, {
          model: this.model,
          ms: now - this.mountedAt,
          at: now,
          runtime: this.runtimeAt - this.mountedAt,
          session: this.sessionAt - this.runtimeAt,
          decode: now - this.sessionAt,
        });
        this.box.dataset.state = "ready";
        this.status("");
      }
      for (const s of this.strip) {
        if (!s.session) continue;
        const c = {
          label: s.inputs.includes("labels") ? (cond.label ?? s.label) : null,
          category: s.inputs.includes("category") ? (cond.category ?? s.category) : null,
          continuous: cond.continuous.length === s.continuous.length ? cond.continuous : s.continuous,
        };
        lab.draw(s.canvas, await lab.decode(this.ort, s.session, z, c), STRIP_SCALE);
      }
    } catch (err) {
      this.fail(`decoding failed (${err.message ?? err})`);
    }
  }

  syncSoon(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.sync(), ms);
  }

  sync() {
    if (this.failed) return;
    const p = this.payload();
    const s = JSON.stringify(p);
    if (s === this.lastSent) return;
    this.lastSent = s;
    this.box.dataset.synced = s;
    this.setTriggerValue("latent", p);
  }

  status(text) {
    this.root.querySelector(".status").textContent = text;
  }

  fail(why) {
    if (this.failed) return;
    this.failed = true;
    this.frames.stop();
    lab.log(G.failures, why);
    this.box.dataset.state = "failed";
    this.status(`In-browser decoding is unavailable: ${why}. Switching to server decoding…`);
    this.setTriggerValue("health", lab.health("explore", false, why));
  }

  async start(data) {
    this.mountedAt = performance.now();
    try {
      const runtime = lab.loadRuntime(data.runtime).then((ort) => {
        this.runtimeAt = performance.now();
        return ort;
      });
      const [ort, session] = await Promise.all([runtime, lab.loadSession(data.runtime, data.decoder)]);
      this.ort = ort;
      if (this.data.decoder !== data.decoder) return; // another model was picked meanwhile
      this.session = session;
      this.sessionAt = performance.now();
      this.frames.start();
      for (const s of this.strip) {
        lab
          .loadSession(data.runtime, s.url)
          .then((sess) => {
            s.session = sess;
            this.changed();
          })
          .catch(() => {
            s.canvas.setAttribute("aria-label", `${s.name}: its decoder did not load`);
          });
      }
      this.changed();
    } catch (err) {
      this.fail(`the runtime or ${data.model}'s decoder did not load (${err.message ?? err})`);
    }
  }

  update(data) {
    if (data.model !== this.model || data.decoder !== this.data?.decoder) {
      this.session = null; // until this model's decoder is ready
      this.failed = false; // a new decoder gets a new try
      this.frames.stop();
      this.firstDraw = null;
      this.build(data);
      this.lastIncoming = undefined;
      this.lastSent = undefined;
      this.apply(data);
      this.start(data);
    } else {
      this.data = data;
      this.apply(data);
    }
    const alt = data.alt ? `Decoded digit: ${data.alt}` : "Decoded digit";
    this.canvas.setAttribute("aria-label", alt);
    this.root.querySelector(".alt").textContent = data.alt ? `The classifier: ${data.alt}` : "";
  }
}

export default withLab("explore", (module, component) => {
  lab = module;
  G = lab.page();
  const { data, parentElement, setTriggerValue } = component;
  const live = lab.mounted(parentElement, () => new Live(parentElement, setTriggerValue));
  live.setTriggerValue = setTriggerValue;
  live.update(data);
});
