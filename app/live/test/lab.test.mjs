// Unit tests of app/live/lab.mjs with Node's own test runner (`node --test app/live/test/`); no browser, no packages.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";

import {
  basisCoord,
  FrameScheduler,
  HEALTH_WHY_MAX,
  health,
  once,
  promisedDigest,
  retry,
  setBasisCoord,
  sha256Hex,
} from "../lab.mjs";

// a scheduler on a hand-cranked clock and frame queue
function harness() {
  const frames = [];
  const clock = { t: 0 };
  const runs = [];
  let input = 0;
  let release = null; // set: the next run waits for it (a decode in flight)
  const s = new FrameScheduler(
    async () => {
      runs.push(input);
      if (release)
        await new Promise((r) => {
          release = r;
        });
    },
    { frame: (cb) => frames.push(cb), now: () => clock.t, minGapMs: 8 },
  );
  const crank = async () => {
    const due = frames.splice(0);
    for (const cb of due) cb();
    await new Promise((r) => setImmediate(r));
  };
  return {
    s,
    frames,
    clock,
    runs,
    crank,
    set: (v) => {
      input = v;
    },
    hold: () => {
      release = () => {};
    },
    free: () => {
      const r = release;
      release = null;
      r();
    },
  };
}

test("nothing runs before start; start runs what was asked", async () => {
  const h = harness();
  h.set(1);
  h.s.request();
  assert.deepEqual(h.runs, []);
  h.s.start();
  await h.crank();
  assert.deepEqual(h.runs, [1]);
});

test("inputs within one frame coalesce into one run of the latest", async () => {
  const h = harness();
  h.s.start();
  h.set(1);
  h.s.request(); // idle for long: runs at once
  await new Promise((r) => setImmediate(r)); // and is done
  for (const v of [2, 3, 4]) {
    h.set(v);
    h.s.request(); // within minGapMs of the last run: wait for the frame
  }
  assert.deepEqual(h.runs, [1]);
  assert.equal(h.frames.length, 1); // one frame asked for, not three
  await h.crank();
  assert.deepEqual(h.runs, [1, 4]);
});

test("a request while a run is in flight is served once, after it", async () => {
  const h = harness();
  h.s.start();
  h.hold();
  h.set(1);
  h.s.request();
  await new Promise((r) => setImmediate(r));
  h.clock.t = 100;
  for (const v of [2, 3]) {
    h.set(v);
    h.s.request();
  }
  assert.deepEqual(h.runs, [1]);
  h.free();
  await new Promise((r) => setImmediate(r));
  await h.crank();
  assert.deepEqual(h.runs, [1, 3]);
  await h.crank();
  assert.deepEqual(h.runs, [1, 3]); // nothing more was asked
});

test("an input after the minimum gap runs at once, even with a frame queued", async () => {
  const h = harness();
  h.s.start();
  h.s.request();
  await new Promise((r) => setImmediate(r));
  h.set(2);
  h.s.request(); // too soon: a frame is queued
  assert.equal(h.frames.length, 1);
  h.clock.t = 20;
  h.set(3);
  h.s.request(); // the gap has passed: no waiting for that frame
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(h.runs, [0, 3]);
  await h.crank(); // the queued frame has nothing left to draw
  assert.deepEqual(h.runs, [0, 3]);
});

test("stop drops what is asked until the next start", async () => {
  const h = harness();
  h.s.start();
  h.s.stop();
  h.s.request();
  await h.crank();
  assert.deepEqual(h.runs, []);
});

test("retry waits longer each time and returns the first success", async () => {
  const waits = [];
  let calls = 0;
  const v = await retry(
    async (attempt) => {
      calls += 1;
      if (attempt < 3) throw new Error(`blip ${attempt}`);
      return "ok";
    },
    { tries: 3, delayMs: 400, factor: 3, wait: async (ms) => waits.push(ms) },
  );
  assert.equal(v, "ok");
  assert.equal(calls, 3);
  assert.deepEqual(waits, [400, 1200]);
});

test("retry gives up after its tries with the last error", async () => {
  const waits = [];
  await assert.rejects(
    retry(
      async (attempt) => {
        throw new Error(`down ${attempt}`);
      },
      { tries: 2, wait: async (ms) => waits.push(ms) },
    ),
    /down 2/,
  );
  assert.equal(waits.length, 1);
});

test("once keeps a success but drops a failure, so the next caller loads again", async () => {
  const map = new Map();
  let made = 0;
  const failing = () =>
    once(map, "k", async () => {
      made += 1;
      throw new Error("no");
    });
  await assert.rejects(failing(), /no/);
  await new Promise((r) => setImmediate(r));
  assert.equal(map.has("k"), false);
  await assert.rejects(failing(), /no/);
  assert.equal(made, 2);
  const a = once(map, "j", async () => 7);
  assert.equal(
    once(map, "j", async () => 8),
    a,
  );
  assert.equal(await a, 7);
});

test("health reports have one format: component, ok, and a short reason without URLs", () => {
  assert.deepEqual(health("hover", true, "ignored"), { component: "hover", ok: true, why: "" });
  const r = health("explore", false, new Error("GET https://example.org/x.onnx failed"));
  assert.deepEqual(Object.keys(r).sort(), ["component", "ok", "why"]);
  assert.equal(r.why, "GET a file failed");
  assert.equal(health("scrub", false, "x".repeat(1000)).why.length, HEALTH_WHY_MAX);
  assert.equal(health("scrub", false, "").why, "no reason given");
});

test("the digest a URL promises: a ?sha256= query or a published name", () => {
  assert.equal(promisedDigest("/app/static/ort/ort-wasm-simd-threaded.wasm.gz?sha256=0123abcd"), "0123abcd");
  assert.equal(
    promisedDigest("/latent-lab/decoders/dcgan-collapsed-0123456789abcdef0123.onnx.gz"),
    "0123456789abcdef0123",
  );
  assert.equal(promisedDigest("/latent-lab/decoders/vae.onnx.gz"), null);
});

test("sha256Hex agrees with node:crypto", async () => {
  const bytes = new TextEncoder().encode("latent-lab");
  assert.equal(await sha256Hex(bytes), createHash("sha256").update(bytes).digest("hex"));
});

test("loadRuntimeFrom imports the module once per key and points it at the glue and the binary", async () => {
  const { loadRuntimeFrom, page } = await import("../lab.mjs");
  const module = `data:text/javascript,export const env = { wasm: {} }; export const made = ${Date.now()};`;
  const wasm = new Uint8Array([0, 97, 115, 109]);
  let asked = 0;
  const files = async () => {
    asked++;
    return { module, glue: "blob:glue", wasm };
  };
  const ort = await loadRuntimeFrom("k1", files);
  assert.equal(ort.env.wasm.numThreads, 1);
  assert.deepEqual(ort.env.wasm.wasmPaths, { mjs: "blob:glue" });
  assert.equal(ort.env.wasm.wasmBinary, wasm);
  assert.equal(await loadRuntimeFrom("k1", files), ort);
  assert.equal(asked, 1); // loaded once: the files are not asked for again
  const broken = async () => ({ module: "data:text/javascript,throw new Error('bad')", glue: "", wasm });
  await assert.rejects(loadRuntimeFrom("k2", broken));
  assert.equal(page().runtimes.has("k2"), false); // a failed load is not kept: the next try loads again
});

test("a slider moves z along its basis direction only, as genlib's Basis.set_coord does", () => {
  const c = Math.SQRT1_2;
  const V = [c, c, 0, -c, c, 0, 0, 0, 1]; // a rotation about the third axis
  const z = Float64Array.of(1, 2, 3);
  const before = [0, 1, 2].map((i) => basisCoord(V, z, i));
  assert.ok(Math.abs(before[0] - 3 * c) < 1e-12 && Math.abs(before[1] - c) < 1e-12);
  setBasisCoord(V, z, 0, -1);
  const after = [0, 1, 2].map((i) => basisCoord(V, z, i));
  assert.ok(Math.abs(after[0] + 1) < 1e-12);
  assert.ok(Math.abs(after[1] - before[1]) < 1e-12 && Math.abs(after[2] - before[2]) < 1e-12);
});
