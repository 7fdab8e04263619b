// Shared by the live components (each component's inline module is this file followed by its own): the
// onnxruntime-web runtime (WebAssembly, one thread), decoder sessions, decoding one latent, drawing a digit.
const LOG_MAX = 5000;
// page-wide: the runtime, decoder sessions and a log the tests and bench/app_latency.py read
const G = (window.__latentLab ??= { drawn: [], latency: [], ready: [], failures: [], hover: [] });
G.hover ??= [];

function absolute(path) {
  // an inline component module cannot import a root-relative path; an absolute URL works
  return new URL(path, window.location.origin).href;
}

// The runtime's .wasm (app/static), the decoders and the encodings (the user's cache, app/server.py) are served
// gzipped, as stored (Streamlit would otherwise compress them again on every request); DecompressionStream inflates
// them. Their URLs change with their content, so the
// inflated bytes are kept in the browser's Cache Storage under the URL (where it has one: localhost or https),
// and a reload skips the download and the inflating.
const CACHE = "latent-lab";

async function fetchBytes(url) {
  const key = absolute(url);
  const cache = globalThis.caches ? await caches.open(CACHE).catch(() => null) : null;
  const hit = cache && (await cache.match(key).catch(() => null));
  if (hit) return new Uint8Array(await hit.arrayBuffer());
  const r = await fetch(key);
  if (!r.ok) throw new Error(`${url.split("?")[0].split("/").pop()}: HTTP ${r.status}`);
  const body = url.split("?")[0].endsWith(".gz") ? r.body.pipeThrough(new DecompressionStream("gzip")) : r.body;
  const bytes = new Uint8Array(await new Response(body).arrayBuffer());
  if (cache) {
    const path = new URL(key).pathname;
    for (const old of await cache.keys().catch(() => [])) {  // an older runtime's bytes
      if (new URL(old.url).pathname === path) cache.delete(old);
    }
    cache.put(key, new Response(bytes)).catch(() => {});  // a full quota only costs the next reload time
  }
  return bytes;
}

// rt: {static: the static folder's URL, wasm: the runtime's .wasm.gz URL}
function loadRuntime(rt) {
  if (!G.runtime) {
    G.runtime = (async () => {
      if (typeof WebAssembly !== "object") throw new Error("this browser has no WebAssembly");
      const [ort, wasm] = await Promise.all([import(absolute(rt.static + "ort/ort.wasm.min.mjs")), fetchBytes(rt.wasm)]);
      ort.env.wasm.numThreads = 1; // the page is not cross-origin isolated: no threads
      ort.env.wasm.wasmPaths = absolute(rt.static + "ort/");
      ort.env.wasm.wasmBinary = wasm;
      return ort;
    })();
  }
  return G.runtime;
}

// a decoder's bytes are fetched while the runtime loads, not after
function loadSession(rt, url) {
  G.sessions ??= new Map();
  if (!G.sessions.has(url)) {
    G.sessions.set(url, Promise.all([loadRuntime(rt), fetchBytes(url)]).then(([ort, bytes]) =>
      ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] })));
  }
  return G.sessions.get(url);
}

async function decode(ort, session, z, cond) {
  const feeds = {};
  for (const name of session.inputNames) {
    if (name === "z") feeds.z = new ort.Tensor("float32", Float32Array.from(z), [1, z.length]);
    else if (name === "labels") feeds.labels = new ort.Tensor("int64", BigInt64Array.of(BigInt(cond.label ?? 0)), [1]);
    else if (name === "category") feeds.category = new ort.Tensor("int64", BigInt64Array.of(BigInt(cond.category ?? 0)), [1]);
    else if (name === "continuous") {
      feeds.continuous = new ort.Tensor("float32", Float32Array.from(cond.continuous), [1, cond.continuous.length]);
    } else throw new Error(`the decoder wants an input "${name}" this page does not know`);
  }
  const out = await session.run(feeds);
  return out.image.data;
}

function fnv(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i += 4) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}

function draw(canvas, pixels, scale) {
  const small = (canvas._small ??= Object.assign(document.createElement("canvas"), { width: 28, height: 28 }));
  const sctx = small.getContext("2d");
  const img = sctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  sctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false; // the 12x nearest-neighbour look of the server's PNGs
  ctx.drawImage(small, 0, 0, 28 * scale, 28 * scale);
  return fnv(img.data);
}

function log(list, entry) {
  list.push(entry);
  if (list.length > LOG_MAX) list.splice(0, list.length - LOG_MAX);
}

function fmt(v) {
  return (Math.abs(v) < 0.005 ? 0 : v).toFixed(2);
}

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

