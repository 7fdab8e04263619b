// The browser side of latent-lab, one ES module that every live component imports (Explore's sliders, the latent
// map's hover preview, Interpolate's scrub): loading the runtime and decoders (integrity-checked, retried with
// backoff, a failed load never cached), one frame scheduler, per-mount state, drawing, and the one message format
// every component reports its health in. It touches no DOM at import, so Node's test runner imports it too.

export const LOG_MAX = 5000;
export const CACHE = "latent-lab"; // the browser's Cache Storage holding inflated downloads, keyed by URL
export const HEALTH_WHY_MAX = 300;

// page-wide: loaded runtimes, sessions and encodings, and a log the tests and benchmarks read
export function page() {
  globalThis.__latentLab ??= { drawn: [], latency: [], ready: [], failures: [], hover: [] };
  return globalThis.__latentLab;
}

export function log(list, entry) {
  list.push(entry);
  if (list.length > LOG_MAX) list.splice(0, list.length - LOG_MAX);
}

// ------------------------------------------------------------------ per-mount state
const mounts = new WeakMap();

// The state of the component mounted at `root`, made by create() on its first mount; Streamlit calls a component's
// function again on every rerun with the same root, and the state must outlive those calls.
export function mounted(root, create) {
  let state = mounts.get(root);
  if (!state) {
    state = create();
    mounts.set(root, state);
  }
  return state;
}

// ------------------------------------------------------------------ health reports
// What a component tells the server about its runtime: {component, ok, why}. The server reads it with
// genlib.explorer.live.health_report and falls back to decoding on the server for that model's decoder only.
export function health(component, ok, why = "") {
  const text = String(why?.message ?? why ?? "")
    .replace(/https?:\/\/\S+/g, "a file") // URLs name the server; the report is shown to the user
    .slice(0, HEALTH_WHY_MAX);
  return { component: String(component), ok: Boolean(ok), why: ok ? "" : text || "no reason given" };
}

// ------------------------------------------------------------------ loading
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// fn() until it resolves, at most `tries` times, waiting delayMs, then factor times longer, between tries: a network
// blip costs a moment, not the session's in-browser decoding
export async function retry(fn, { tries = 3, delayMs = 400, factor = 3, wait = sleep } = {}) {
  let delay = delayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= tries) throw err;
      await wait(delay);
      delay *= factor;
    }
  }
}

// make() once per key while it succeeds; a rejected promise is dropped, so the next caller loads again
export function once(map, key, make) {
  if (!map.has(key)) {
    const promise = make();
    map.set(key, promise);
    promise.catch(() => {
      if (map.get(key) === promise) map.delete(key);
    });
  }
  return map.get(key);
}

// a module import retried under a new URL: a browser may keep a failed module fetch for its URL
export function importFresh(url) {
  return retry((attempt) => {
    const u = new URL(absolute(url));
    if (attempt > 1) u.searchParams.set("try", String(attempt));
    return import(u.href);
  });
}

function absolute(path) {
  // a component's inline module cannot import a root-relative path; an absolute URL works
  return new URL(path, globalThis.location?.origin).href;
}

export async function sha256Hex(bytes) {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The digest prefix a URL promises for its inflated bytes: ?sha256=HEX, or a published name NAME-HEX.SUFFIX.gz
export function promisedDigest(url) {
  const u = new URL(url, "http://x");
  const query = u.searchParams.get("sha256");
  if (query) return query;
  return u.pathname.match(/-([0-9a-f]{20})\.[a-z]+\.gz$/)?.[1] ?? null;
}

async function verified(url, bytes) {
  const want = promisedDigest(url);
  if (!want || !globalThis.crypto?.subtle) return bytes; // crypto.subtle: only on https or localhost
  const got = await sha256Hex(bytes);
  if (!got.startsWith(want)) throw new Error(`${fileName(url)} is damaged (its SHA-256 is not the one promised)`);
  return bytes;
}

function fileName(url) {
  return url.split("?")[0].split("/").pop();
}

// The runtime's .wasm (app/static), the decoders and the encodings (the user's cache, app/server.py) are served
// gzipped as stored and inflated here (Streamlit would otherwise compress them again on every request). Their URLs
// change with their content, so the inflated bytes are kept in Cache Storage under the URL where the browser has
// one (localhost or https): a reload skips the download and the inflating.
// (not kept here: the runtime, sessions and encodings made from the bytes are)
export async function fetchBytes(url) {
  const key = absolute(url);
  const cache = globalThis.caches ? await caches.open(CACHE).catch(() => null) : null;
  const hit = cache && (await cache.match(key).catch(() => null));
  if (hit) return new Uint8Array(await hit.arrayBuffer());
  const bytes = await retry(async () => {
    const r = await fetch(key);
    if (!r.ok) throw new Error(`${fileName(url)}: HTTP ${r.status}`);
    const body = fileName(url).endsWith(".gz") ? r.body.pipeThrough(new DecompressionStream("gzip")) : r.body;
    return verified(url, new Uint8Array(await new Response(body).arrayBuffer()));
  });
  if (cache) {
    const path = new URL(key).pathname;
    for (const old of await cache.keys().catch(() => [])) {
      if (new URL(old.url).pathname === path) cache.delete(old); // an older version's bytes
    }
    cache.put(key, new Response(bytes)).catch(() => {}); // a full quota only costs the next reload time
  }
  return bytes;
}

// rt: {static: the static folder's URL, wasm: the runtime's .wasm.gz URL}
export function loadRuntime(rt) {
  const p = page();
  p.runtimes ??= new Map();
  return once(p.runtimes, rt.wasm, async () => {
    if (typeof WebAssembly !== "object") throw new Error("this browser has no WebAssembly");
    const [ort, wasm] = await Promise.all([importFresh(`${rt.static}ort/ort.wasm.min.mjs`), fetchBytes(rt.wasm)]);
    ort.env.wasm.numThreads = 1; // the page is not cross-origin isolated: no threads
    ort.env.wasm.wasmPaths = absolute(`${rt.static}ort/`);
    ort.env.wasm.wasmBinary = wasm;
    return ort;
  });
}

// The runtime from files the page already holds, where there is no static folder to fetch from (a notebook widget
// receives them over the kernel's connection): files() resolves to {module: a URL of ort.wasm.min.mjs, glue: a URL
// of ort-wasm-simd-threaded.mjs, wasm: the .wasm's bytes}, e.g. blob: URLs; it is called only when the runtime of
// that key is not loaded yet (inflating the binary costs time). Loaded once per key while it succeeds.
export function loadRuntimeFrom(key, files) {
  const p = page();
  p.runtimes ??= new Map();
  return once(p.runtimes, key, async () => {
    if (typeof WebAssembly !== "object") throw new Error("this browser has no WebAssembly");
    const { module, glue, wasm } = await files();
    const ort = await import(module);
    ort.env.wasm.numThreads = 1; // a notebook page is not cross-origin isolated either
    ort.env.wasm.wasmPaths = { mjs: glue }; // the glue by URL; the binary below, so nothing is fetched
    ort.env.wasm.wasmBinary = wasm;
    return ort;
  });
}

// a decoder's bytes are fetched while the runtime loads, not after
export function loadSession(rt, url) {
  const p = page();
  p.sessions ??= new Map();
  return once(p.sessions, url, async () => {
    const [ort, bytes] = await Promise.all([loadRuntime(rt), fetchBytes(url)]);
    return ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  });
}

// ------------------------------------------------------------------ decoding and drawing
// cond: {label, category, continuous}; each decoder input the graph declares is fed, an unknown one refused
export async function decode(ort, session, z, cond) {
  const feeds = {};
  const index = (v) => BigInt64Array.of(BigInt(v ?? 0));
  for (const name of session.inputNames) {
    if (name === "z") feeds.z = new ort.Tensor("float32", Float32Array.from(z), [1, z.length]);
    else if (name === "labels") feeds.labels = new ort.Tensor("int64", index(cond.label), [1]);
    else if (name === "category") feeds.category = new ort.Tensor("int64", index(cond.category), [1]);
    else if (name === "continuous") {
      feeds.continuous = new ort.Tensor("float32", Float32Array.from(cond.continuous), [1, cond.continuous.length]);
    } else throw new Error(`the decoder wants an input "${name}" this page does not know`);
  }
  const out = await session.run(feeds);
  return out.image.data;
}

// FNV-1a over every fourth byte: the tests and benchmarks tell drawn digits apart by it
export function fnv(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i += 4) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}

const smallCanvases = new WeakMap(); // each canvas's 28 × 28 one, drawn to and then scaled up

export function draw(canvas, pixels, scale) {
  let small = smallCanvases.get(canvas);
  if (!small) {
    small = Object.assign(document.createElement("canvas"), { width: 28, height: 28 });
    smallCanvases.set(canvas, small);
  }
  const sctx = small.getContext("2d");
  const img = sctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false; // the nearest-neighbour look of the server's PNGs
  ctx.drawImage(small, 0, 0, 28 * scale, 28 * scale);
  return fnv(img.data);
}

// ------------------------------------------------------------------ one decode per animation frame
// work() runs for the latest input only: inputs faster than the display coalesce into one run per frame. A run
// starts at once when none ran in the last minGapMs (the canvas shows at the next paint), else on the next frame.
export class FrameScheduler {
  constructor(work, { frame = (cb) => requestAnimationFrame(cb), now = () => performance.now(), minGapMs = 8 } = {}) {
    this.work = work;
    this.frame = frame;
    this.now = now;
    this.minGapMs = minGapMs;
    this.dirty = false;
    this.busy = false;
    this.queued = false;
    this.last = -Infinity;
    this.ready = false; // nothing runs until the decoder is there
  }

  request() {
    this.dirty = true;
    if (!this.ready || this.busy) return; // the run in flight queues a frame when it ends
    // past the gap: run now (a frame already queued then finds nothing to do); else once, on the next frame
    if (this.now() - this.last >= this.minGapMs) this.run();
    else if (!this.queued) this.queue();
  }

  start() {
    this.ready = true;
    if (this.dirty) this.request();
  }

  stop() {
    this.ready = false;
  }

  queue() {
    this.queued = true;
    this.frame(() => {
      this.queued = false;
      this.run();
    });
  }

  async run() {
    if (!this.dirty || this.busy || !this.ready) return;
    this.dirty = false;
    this.busy = true;
    this.last = this.now();
    try {
      await this.work();
    } finally {
      this.busy = false;
      if (this.dirty && !this.queued) this.queue();
    }
  }
}

// ------------------------------------------------------------------ the sliders' basis
// V holds the basis's d directions as rows (d × d, row-major), as genlib.explorer.encodings.Basis does: the
// coordinate of z along row i, and z moved in place along row i until that coordinate is v (Basis.set_coord)
export function basisCoord(V, z, i) {
  const d = z.length;
  let c = 0;
  for (let j = 0; j < d; j++) c += V[i * d + j] * z[j];
  return c;
}

export function setBasisCoord(V, z, i, v) {
  const d = z.length;
  const delta = v - basisCoord(V, z, i);
  for (let j = 0; j < d; j++) z[j] += delta * V[i * d + j];
}

// ------------------------------------------------------------------ the interpolation path
// z at t along the path from a to b: slerp (lerp for method "lerp", or for (anti)parallel ends), as
// genlib.explorer.operands.path_states computes it
export function pathPoint(a, b, t, method) {
  const n = a.length;
  const out = new Float64Array(n);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.max(Math.sqrt(na * nb), 1e-12))));
  const straight = method === "lerp" || omega < 1e-6 || Math.PI - omega < 1e-6;
  for (let i = 0; i < n; i++) {
    out[i] = straight
      ? (1 - t) * a[i] + t * b[i]
      : (Math.sin((1 - t) * omega) * a[i] + Math.sin(t * omega) * b[i]) / Math.sin(omega);
  }
  return out;
}

// ------------------------------------------------------------------ small DOM helpers
export function fmt(v) {
  return (Math.abs(v) < 0.005 ? 0 : v).toFixed(2);
}

export function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
