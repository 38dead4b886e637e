// Active liveness capture (R-LIVE-1): opens the camera, shows the server's random challenges one
// window at a time, captures JPEG frames tagged with their window and time, and posts them with
// the session nonce. All decisions are taken on the server; this module only captures.
const root = document.getElementById("bio");
const video = document.getElementById("bio-video");
const promptEl = document.getElementById("bio-prompt");
const statusEl = document.getElementById("bio-status");
const progress = document.getElementById("bio-progress");
const startBtn = document.getElementById("bio-start");
const messages = JSON.parse(root.dataset.messages);
const prompts = {};
root.querySelectorAll(".bio-prompts li").forEach((li) => { prompts[li.dataset.challenge] = li.textContent; });
const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;

function setStatus(text, kind) {
  statusEl.textContent = text;
  statusEl.className = "bio-status" + (kind ? " " + kind : "");
}

async function post(url, body) {
  const resp = await fetch(url, { method: "POST", body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" });
  let data = {};
  try { data = await resp.json(); } catch (e) { data = { message: messages.failed }; }
  return { ok: resp.ok, data };
}

function waitForFrames() {
  return new Promise((resolve) => {
    if (video.readyState >= 2 && video.videoWidth > 0) { resolve(); return; }
    video.addEventListener("playing", () => resolve(), { once: true });
  });
}

function grab(canvas) {
  const ctx = canvas.getContext("2d");
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
}

async function run() {
  startBtn.disabled = true;
  setStatus("", "");
  const form = new FormData();
  form.append("purpose", root.dataset.purpose);
  const started = await post(root.dataset.startUrl, form);
  if (!started.ok) { setStatus(started.data.message || messages.failed, "fail"); startBtn.disabled = false; return; }
  const s = started.data;
  let stream;
  try {
    // The camera opens only now, so a recorded clip (or the fake test camera) starts with the session.
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, facingMode: "user" }, audio: false });
  } catch (e) {
    setStatus(messages.camera, "fail"); startBtn.disabled = false; return;
  }
  video.srcObject = stream;
  await waitForFrames();
  const canvas = document.createElement("canvas");
  const scale = Math.min(1, 640 / video.videoWidth);
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const total = s.baseline_ms + s.challenges.length * s.step_ms;
  const interval = 1000 / s.fps;
  const frames = [];
  const t0 = performance.now();
  for (let k = 0; ; k++) {
    const due = t0 + k * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t = Math.round(performance.now() - t0);
    if (t >= total) break;
    const step = t < s.baseline_ms ? 0 : 1 + Math.floor((t - s.baseline_ms) / s.step_ms);
    promptEl.textContent = step === 0 ? prompts.baseline : prompts[s.challenges[step - 1]];
    promptEl.dataset.challenge = step === 0 ? "baseline" : s.challenges[step - 1];
    progress.value = Math.round((100 * t) / total);
    frames.push({ step, t, blob: await grab(canvas) });
  }
  stream.getTracks().forEach((track) => track.stop());
  promptEl.textContent = "";
  setStatus(messages.sending, "");
  const body = new FormData();
  body.append("nonce", s.nonce);
  body.append("next", root.dataset.next);
  body.append("meta", JSON.stringify(frames.map((f) => [f.step, f.t])));
  frames.forEach((f, i) => body.append("frames", f.blob, `frame-${i}.jpg`));
  const result = await post(s.frames_url, body);
  progress.value = 100;
  if (result.ok && result.data.passed) {
    setStatus(messages.passed, "ok");
    root.dataset.result = "passed";
    if (result.data.next) window.location.assign(result.data.next);
  } else {
    setStatus(result.data.message || messages.failed, "fail");
    root.dataset.result = "failed";
    root.dataset.reason = result.data.reason || result.data.error || "";
    startBtn.textContent = messages.retry;
    startBtn.disabled = false;
  }
}

startBtn.addEventListener("click", () => { run().catch(() => { setStatus(messages.failed, "fail"); startBtn.disabled = false; }); });
