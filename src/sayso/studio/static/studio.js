// sayso studio: the page. Plain ES module, no framework; every call is to the studio's
// own API (same origin, cookies sent). Screens: #/ make, #/v/{id} one video,
// #/gallery, #/verify; a token form when the studio asks for one.

import {
  $, ApiError, STAGES, STATES, TERMINAL, ago, api, copyText, h, lineageText, quoted, say, seconds, when,
} from "/static/common.js";

const state = {
  config: null,
  started: false,
  photo: null, // the API's photo: {id, url, width, height, faces, chosen}
  chosen: null, // the face number that will speak
  uploading: false,
  uploadSeq: 0,
  objectUrl: null,
  planTimer: null,
  planAbort: null,
  planSeq: 0,
  makeBusy: false,
  makeKey: null, // Idempotency-Key, kept only to retry a request that never arrived
  retryUntil: 0,
  retryTimer: null,
  current: null, // the video on the video screen
  parent: null,
  videoSeq: 0,
  stream: null,
  poll: null,
  galleryTimer: null,
  verifySeq: 0,
  firstRoute: true,
};

const OPTION_FIELDS = new Set(["options", "voice", "size", "aspect", "duration", "captions", "expression", "camera",
  "scene", "ambience", "label", "fps", "seed"]);
const PHOTO_FIELDS = new Set(["photo", "photo_id", "example", "face"]);
const LANGUAGES = { en: "English", de: "German", fr: "French" };

// ------------------------------------------------------------------ start

async function boot() {
  try {
    state.config = await api("/api/config");
  } catch (error) {
    $("#booting").hidden = true;
    banner(error.message);
    return;
  }
  $("#booting").hidden = true;
  setupLogin();
  if (state.config.token_required && !state.config.authorized) {
    showLogin();
    return;
  }
  start();
}

function start() {
  if (state.started) return;
  state.started = true;
  setupMake();
  setupVideo();
  setupVerify();
  window.addEventListener("hashchange", route);
  route();
}

function banner(message) {
  say($("#banner"), message);
}

function toast(message) {
  const el = $("#toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 3200);
}

/** Tell a screen reader what changed where the eye already sees it. */
function announce(message) {
  const el = $("#announce");
  el.textContent = "";
  requestAnimationFrame(() => { el.textContent = message; });
}

/** An error that means "the token is needed": go back to the token form. */
function needsLogin(error) {
  if (error instanceof ApiError && error.status === 401 && state.config && state.config.token_required) {
    showLogin();
    return true;
  }
  return false;
}

// ------------------------------------------------------------------ routing

const SCREENS = ["login", "make", "video", "gallery", "verify"];

function show(name) {
  for (const screen of SCREENS) $(`#screen-${screen}`).hidden = screen !== name;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === name || (name === "video" && link.dataset.nav === "gallery")) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  }
  const titles = { login: "Access token", make: "Make", video: "Video", gallery: "Gallery", verify: "Verify" };
  document.title = `${titles[name]} \u00b7 sayso studio`;
  if (!state.firstRoute) {
    const heading = $(`#screen-${name} h1`);
    if (heading) heading.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
  state.firstRoute = false;
}

function leaveScreens() {
  stopFollowing();
  clearTimeout(state.galleryTimer);
  state.galleryTimer = null;
  state.videoSeq += 1;
}

function route() {
  leaveScreens();
  banner("");
  const hash = location.hash || "#/";
  const video = hash.match(/^#\/v\/([A-Za-z0-9_-]+)$/);
  if (video) {
    show("video");
    openVideo(video[1]);
  } else if (hash === "#/gallery") {
    show("gallery");
    openGallery();
  } else if (hash === "#/verify") {
    show("verify");
  } else {
    show("make");
  }
}

// ------------------------------------------------------------------ token

function setupLogin() {
  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("#login-token").value.trim();
    const error = $("#login-error");
    if (!token) {
      say(error, "Enter the access token first.");
      $("#login-token").focus();
      return;
    }
    say(error, "");
    try {
      await api("/api/login", { method: "POST", json: { token } });
      state.config = await api("/api/config");
    } catch (e) {
      say(error, e.status === 401 ? (e.message || "That token is not right: check it and try again.") : e.message);
      $("#login-token").select();
      return;
    }
    $("#login-token").value = "";
    document.body.classList.remove("signed-out");
    if (state.started) route();
    else start();
  });
}

function showLogin() {
  leaveScreens();
  document.body.classList.add("signed-out");
  show("login");
  $("#login-token").focus();
}

// ------------------------------------------------------------------ make screen

function option(value, label, selected = false) {
  return h("option", { value, selected }, label);
}

function setupMake() {
  const c = state.config;
  const voiceSelect = $("#opt-voice");
  for (const voice of c.voices || []) voiceSelect.append(option(voice, voiceLabel(voice)));
  $("#opt-voice-hear").addEventListener("click", () =>
    hearVoice($("#opt-voice").value || (state.summary && state.summary.speaker) || "male",
      (state.summary && state.summary.language) || "en", "options"));
  const sizes = c.sizes || ["480p", "720p", "1080p"];
  for (const size of sizes) $("#opt-size").append(option(size, size, size === "720p"));
  for (const aspect of c.aspects || ["auto"]) {
    $("#opt-aspect").append(option(aspect, aspect === "auto" ? "As the photo" : aspect));
  }
  if (c.limits && c.limits.max_prompt_chars) $("#prompt").maxLength = c.limits.max_prompt_chars;
  updateCount();
  $("#opt-recording").addEventListener("change", onRecordingChosen);
  $("#opt-recording-clear").addEventListener("click", () => setRecording(null));

  // examples
  if ((c.examples || []).length) {
    $("#examples").hidden = false;
    for (const example of c.examples) {
      $("#example-list").append(h("button", {
        type: "button", class: "chip example-chip", dataset: { example: example.name },
        onclick: () => uploadPhoto({ example }),
      }, h("img", { src: example.url, alt: "", loading: "lazy" }), example.title || example.name));
    }
  }
  if ((c.prompts || []).length) {
    $("#prompt-examples").hidden = false;
    for (const text of c.prompts) {
      $("#prompt-list").append(h("button", {
        type: "button", class: "chip prompt-chip", title: text,
        onclick: () => {
          $("#prompt").value = text;
          onPromptInput();
          $("#prompt").focus();
        },
      }, text));
    }
  }

  // photo: picker, drop anywhere on the card
  const input = $("#photo-input");
  input.addEventListener("change", () => {
    if (input.files && input.files[0]) uploadPhoto({ file: input.files[0] });
    input.value = "";
  });
  const card = $("#photo-card");
  const zone = $("#dropzone");
  card.addEventListener("dragover", (event) => {
    if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
    event.preventDefault();
    zone.classList.add("dragging");
  });
  card.addEventListener("dragleave", (event) => {
    if (!card.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  card.addEventListener("drop", (event) => {
    zone.classList.remove("dragging");
    const file = event.dataTransfer?.files?.[0];
    if (!file) return;
    event.preventDefault();
    uploadPhoto({ file });
  });

  // prompt and options: re-read the plan as they change
  $("#prompt").addEventListener("input", onPromptInput);
  $("#prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("#make-form").requestSubmit();
    }
  });
  for (const id of ["#opt-voice", "#opt-size", "#opt-aspect", "#opt-duration"]) {
    $(id).addEventListener("input", () => {
      $(id).removeAttribute("aria-invalid");
      clearError("options");
      schedulePlan();
    });
  }
  $("#make-form").addEventListener("submit", onMake);
}

/** "alpha" -> "Alpha (female; en, de, fr)"; "male" -> "Male (the line's language)". */
function voiceLabel(name) {
  const v = (state.config.voice_list || []).find((x) => x.name === name);
  if (!v) return `${cap(name)} (the line's language)`;
  return `${cap(name)} (${v.gender}; ${v.languages.join(", ")})`;
}

/** Play the voice's sample line in the language; an error is said beside the voice. */
function hearVoice(name, language, slot) {
  const v = (state.config.voice_list || []).find((x) => x.name === name);
  const lang = v && !v.languages.includes(language) ? v.languages[0] : language;
  if (state.sample) state.sample.pause();
  const audio = new Audio(`/api/voices/${encodeURIComponent(name)}/sample.wav?language=${encodeURIComponent(lang)}`);
  state.sample = audio;
  audio.play().catch(() => say($(`#${slot}-error`),
    "That voice's sample could not be played: try again, or pick another voice."));
}

function cap(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

// errors, each in the slot beside what caused it; source says who set it
const errorSlots = { photo: "#photo-error", prompt: "#prompt-error", options: "#options-error", make: "#make-banner",
  recording: "#recording-error" };
const errorSource = {};

function showError(slot, message, source) {
  say($(errorSlots[slot]), message);
  errorSource[slot] = source;
  if (slot === "prompt") $("#prompt").setAttribute("aria-invalid", "true");
}

function clearError(slot, source = null) {
  if (source && errorSource[slot] !== source) return;
  say($(errorSlots[slot]), "");
  errorSource[slot] = null;
  if (slot === "prompt") $("#prompt").removeAttribute("aria-invalid");
}

/** Put an API error next to the control it is about. */
function placeError(error, source) {
  const field = error.field;
  if (field && PHOTO_FIELDS.has(field)) return showError("photo", error.message, source);
  if (field === "recording" || (field === "say" && state.recording)) return showError("recording", error.message, source);
  if (field === "prompt" || field === "say") return showError("prompt", error.message, source);
  if (field && OPTION_FIELDS.has(field)) {
    const control = $(`#opt-${field}`);
    if (control) control.setAttribute("aria-invalid", "true");
    return showError("options", error.message, source);
  }
  if (source === "plan") return showError("prompt", error.message, source);
  return showError("make", error.message, source);
}

function updateCount() {
  const max = state.config?.limits?.max_prompt_chars || 2000;
  const n = $("#prompt").value.length;
  const count = $("#prompt-count");
  count.textContent = `${n.toLocaleString()} / ${max.toLocaleString()}`;
  count.classList.toggle("over", n > max * 0.9);
}

function onPromptInput() {
  updateCount();
  clearError("prompt", "make");
  schedulePlan();
}

// -------- photo

function setPhotoImage(src) {
  const img = $("#photo-img");
  $("#photo-stage").hidden = false;
  $("#face-layer").replaceChildren();
  $("#face-note").textContent = "";
  img.src = src;
  $("#dz-title").textContent = "Drop another photo here or choose one";
  $("#dropzone").classList.add("compact");
}

function clearPhotoImage() {
  $("#photo-stage").hidden = true;
  $("#photo-img").removeAttribute("src");
  $("#dz-title").textContent = "Drop a photo here or choose one";
  $("#dropzone").classList.remove("compact");
}

async function uploadPhoto({ file = null, example = null }) {
  const seq = ++state.uploadSeq;
  clearError("photo");
  clearError("make");
  const limits = state.config.limits || {};
  if (file && limits.max_upload_bytes && file.size > limits.max_upload_bytes) {
    const mb = (limits.max_upload_bytes / 1e6).toFixed(0);
    showError("photo", `That photo is ${(file.size / 1e6).toFixed(1)} MB, over this studio's ${mb} MB limit: choose a smaller one.`, "photo");
    return;
  }
  state.photo = null;
  state.chosen = null;
  state.uploading = true;
  if (state.objectUrl) URL.revokeObjectURL(state.objectUrl);
  state.objectUrl = file ? URL.createObjectURL(file) : null;
  setPhotoImage(file ? state.objectUrl : example.url);
  $("#photo-busy").hidden = false;
  const form = new FormData();
  if (file) form.append("photo", file, file.name || "photo");
  else form.append("example", example.name);
  try {
    const photo = await api("/api/photos", { method: "POST", form });
    if (seq !== state.uploadSeq) return;
    state.photo = photo;
    state.chosen = photo.chosen || (photo.faces[0] && photo.faces[0].number) || null;
    if (!file) $("#photo-img").src = example.url;
    drawFaces();
  } catch (error) {
    if (seq !== state.uploadSeq) return;
    if (needsLogin(error)) return;
    const img = $("#photo-img");
    if (!(img.complete && img.naturalWidth > 0) || error.status === 415) clearPhotoImage();
    showError("photo", error.message, "photo");
  } finally {
    if (seq === state.uploadSeq) {
      state.uploading = false;
      $("#photo-busy").hidden = true;
    }
  }
}

function pct(value, total) {
  return `${Math.min(100, Math.max(0, (value / total) * 100)).toFixed(3)}%`;
}

function drawFaces() {
  const photo = state.photo;
  const layer = $("#face-layer");
  layer.replaceChildren();
  if (!photo) return;
  const many = photo.faces.length > 1;
  for (const face of photo.faces) {
    const x0 = Math.max(0, face.x);
    const y0 = Math.max(0, face.y);
    const x1 = Math.min(photo.width, face.x + face.width);
    const y1 = Math.min(photo.height, face.y + face.height);
    const chosen = face.number === state.chosen;
    const usable = face.usable !== false;
    const label = usable ? `Face ${face.number}${chosen ? " (chosen)" : ""}`
      : `Face ${face.number}: too small or unclear to animate`;
    const box = many
      ? h("button", {
        type: "button", class: `face${chosen ? " chosen" : ""}${usable ? "" : " unusable"}`,
        "aria-pressed": String(chosen), "aria-label": label, title: label, disabled: !usable,
        dataset: { face: face.number, usable: String(usable) }, onclick: () => chooseFace(face.number),
      }, h("span", { class: "face-num", "aria-hidden": "true" }, String(face.number)))
      : h("div", { class: "face chosen single", dataset: { face: face.number }, "aria-hidden": "true" });
    box.style.left = pct(x0, photo.width);
    box.style.top = pct(y0, photo.height);
    box.style.width = pct(x1 - x0, photo.width);
    box.style.height = pct(y1 - y0, photo.height);
    layer.append(box);
  }
  const unusable = photo.faces.filter((f) => f.usable === false).map((f) => f.number);
  const note = unusable.length
    ? ` (${unusable.length === 1 ? "face" : "faces"} ${unusable.join(", ")} too small to animate)` : "";
  $("#face-note").textContent = many
    ? `${photo.faces.length} faces found. Face ${state.chosen} will speak: click another face to choose it${note}.`
    : "Face found: this is who will speak.";
}

function chooseFace(number) {
  state.chosen = number;
  drawFaces();
  const button = $(`#face-layer [data-face="${number}"]`);
  if (button) button.focus();
  clearError("photo", "make");
}

// -------- plan preview

/** Upload the chosen recording at once: it is checked (speech in it, not too long) before Make. */
async function onRecordingChosen() {
  const file = $("#opt-recording").files[0];
  clearError("recording");
  if (!file) return setRecording(null);
  const form = new FormData();
  form.append("recording", file, file.name);
  $("#recording-note").textContent = `Checking ${file.name}\u2026`;
  state.recordingBusy = true;
  try {
    const kept = await api("/api/recordings", { method: "POST", form });
    setRecording({ ...kept, name: file.name });
  } catch (error) {
    setRecording(null);
    if (needsLogin(error)) return;
    showError("recording", error.message, "recording");
  } finally {
    state.recordingBusy = false;
  }
}

function setRecording(kept) {
  state.recording = kept;
  if (!kept) $("#opt-recording").value = "";
  $("#recording-note").textContent = kept
    ? `${kept.name}: ${kept.seconds.toFixed(1)} s, heard instead of a voice.` : "";
  $("#opt-say-field").hidden = !kept;
  $("#opt-recording-clear").hidden = !kept;
  $("#opt-voice").disabled = Boolean(kept);
  $("#opt-voice-hear").disabled = Boolean(kept);
}

function optionValues() {
  const values = {};
  const voice = $("#opt-voice").value;
  if (voice && !state.recording) values.voice = voice;
  values.size = $("#opt-size").value;
  values.aspect = $("#opt-aspect").value;
  const duration = $("#opt-duration").value.trim();
  if (duration !== "") values.duration = duration;
  return values;
}

function schedulePlan() {
  clearTimeout(state.planTimer);
  state.planTimer = setTimeout(runPlan, 300);
}

async function runPlan() {
  const prompt = $("#prompt").value;
  if (state.planAbort) state.planAbort.abort();
  if (!prompt.trim()) {
    state.planSeq += 1;
    $("#plan-list").hidden = true;
    $("#plan-empty").hidden = false;
    $("#plan-busy").hidden = true;
    clearError("prompt", "plan");
    clearError("options", "plan");
    return;
  }
  const controller = new AbortController();
  state.planAbort = controller;
  const seq = ++state.planSeq;
  const body = { prompt, ...optionValues() };
  if (body.duration !== undefined) {
    const d = Number(body.duration);
    if (!Number.isFinite(d)) delete body.duration;
    else body.duration = d;
  }
  $("#plan-busy").hidden = false;
  try {
    const result = await api("/api/plan", { method: "POST", json: body, signal: controller.signal });
    if (seq !== state.planSeq) return;
    clearError("prompt", "plan");
    clearError("options", "plan");
    state.summary = result.summary;
    renderSummary($("#plan-list"), result.summary);
    $("#plan-list").hidden = false;
    $("#plan-empty").hidden = true;
  } catch (error) {
    if (error.name === "AbortError" || seq !== state.planSeq) return;
    if (needsLogin(error)) return;
    placeError(error, "plan");
  } finally {
    if (seq === state.planSeq) $("#plan-busy").hidden = true;
  }
}

function expressionText(e) {
  const strength = typeof e.strength === "number" ? ` ${Math.round(e.strength * 100)}%` : "";
  return [h("span", { class: "tag" }, e.what, h("small", {}, strength)), " ", h("span", { class: "muted" }, e.when || "")];
}

function changeList(items) {
  return h("ul", { class: "inline-list" }, items.map((e) => h("li", {}, expressionText(e))));
}

function listOrNone(items) {
  return items && items.length ? items.join(", ") : "none";
}

/** The plan summary as rows: line, voice, expressions and their cues, camera, scene, sound. */
function renderSummary(dl, s, extra = []) {
  const rows = [
    ["line", "Says", s.line ? h("q", { class: "line" }, s.line) : h("span", { class: "muted" }, "nothing (a silent clip: put words in quotes)")],
    ["voice", "Voice", s.speaker === "recording" ? "Your own recording"
      : s.speaker && s.speaker !== s.voice ? `${cap(s.voice)}: ${cap(s.speaker)} (${s.language})`
      : `${cap(s.voice || "")}${s.language ? ` (${s.language})` : ""}`],
    ["expressions", "Expressions", (s.expressions && s.expressions.length)
      ? changeList(s.expressions) : h("span", { class: "muted" }, "neutral")],
    ...(s.gaze && s.gaze.length ? [["gaze", "Eyes", changeList(s.gaze)]] : []),
    ...(s.gestures && s.gestures.length ? [["gestures", "Head", changeList(s.gestures)]] : []),
    ["camera", "Camera", s.camera || "static"],
    ["scene", "Scene", listOrNone(s.scene)],
    ["ambience", "Sound", listOrNone(s.ambience)],
    ["language", "Language", LANGUAGES[s.language] || s.language || ""],
    ["ignored", "Ignored words", (s.ignored && s.ignored.length)
      ? h("span", { class: "ignored" }, s.ignored.map((w) => h("span", { class: "tag ghost-tag" }, w)))
      : h("span", { class: "muted" }, "none")],
    ...extra,
  ];
  dl.replaceChildren(...rows.flatMap(([key, label, value]) => [
    h("dt", {}, label), h("dd", { dataset: { plan: key } }, value),
  ]));
}

// -------- make

function newKey() {
  if (crypto.randomUUID && window.isSecureContext) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function setMakeBusy(busy, label = null) {
  state.makeBusy = busy;
  const button = $("#make-button");
  button.disabled = busy || Date.now() < state.retryUntil;
  button.lastChild.textContent = label || (busy ? " Starting\u2026" : " Make");
}

/** 429: the API's sentence beside Make, and the button counts down its Retry-After. */
function retryCountdown(seconds, message) {
  state.retryUntil = Date.now() + seconds * 1000;
  clearInterval(state.retryTimer);
  showError("make", message, "busy");
  const tick = () => {
    const left = Math.ceil((state.retryUntil - Date.now()) / 1000);
    if (left <= 0) {
      clearInterval(state.retryTimer);
      state.retryUntil = 0;
      showError("make", "You can press Make again now.", "busy");
      setMakeBusy(false);
      return;
    }
    setMakeBusy(false, ` Wait ${left} s`);
  };
  tick();
  state.retryTimer = setInterval(tick, 1000);
}

async function onMake(event) {
  event.preventDefault();
  if (state.makeBusy || Date.now() < state.retryUntil) return;
  clearError("make");
  if (!state.photo) {
    showError("photo", state.uploading
      ? "The photo is still being checked: press Make again in a moment."
      : "Choose a photo first: drop one above, pick a file or try the example.", "make");
    $("#photo-input").focus();
    return;
  }
  const values = optionValues();
  if (values.duration !== undefined) {
    const d = Number(values.duration);
    if (!Number.isFinite(d) || d < 0.5 || d > 120) {
      $("#opt-duration").setAttribute("aria-invalid", "true");
      showError("options", "The length must be between 0.5 and 120 seconds, or blank for as long as the line needs.", "make");
      $("#opt-duration").focus();
      return;
    }
  }
  const form = new FormData();
  form.append("photo_id", state.photo.id);
  form.append("prompt", $("#prompt").value);
  for (const [key, value] of Object.entries(values)) form.append(key, String(value));
  // the default face is the API's choice; naming it anyway would only repeat the face analysis
  if (state.chosen && state.chosen !== state.photo.chosen) form.append("face", String(state.chosen));
  form.append("captions", $("#opt-captions").checked ? "true" : "false");
  if (state.recording) {
    form.append("recording_id", state.recording.id);
    const words = $("#opt-say").value.trim();
    if (words) form.append("say", words);
  } else if (state.recordingBusy) {
    showError("recording", "The recording is still being checked: press Make again in a moment.", "make");
    return;
  }
  state.makeKey = state.makeKey || newKey();
  setMakeBusy(true);
  try {
    const video = await api("/api/videos", { method: "POST", form, headers: { "Idempotency-Key": state.makeKey } });
    state.makeKey = null;
    setMakeBusy(false);
    location.hash = `#/v/${video.id}`;
  } catch (error) {
    if (error.status !== 0) state.makeKey = null; // only a request that never arrived is retried as the same one
    setMakeBusy(false);
    if (needsLogin(error)) return;
    if (error.status === 429) {
      retryCountdown(error.retryAfter || 5, error.message);
      return;
    }
    placeError(error, "make");
  }
}

// ------------------------------------------------------------------ video screen

function setupVideo() {
  const c = state.config;
  for (const voice of c.voices || []) $("#remix-voice").append(option(voice, voiceLabel(voice)));
  $("#remix-voice-hear").addEventListener("click", () => hearVoice($("#remix-voice").value || "male",
    (state.current && state.current.summary && state.current.summary.language) || "en", "remix"));
  for (const camera of c.cameras || []) $("#remix-camera").append(option(camera, camera));
  for (const name of c.expressions || []) $("#expression-names").append(h("option", { value: name }));
  for (const scene of c.scenes || []) {
    $("#remix-scenes").append(h("label", { class: "chip check-chip" },
      h("input", { type: "checkbox", name: "scene", value: scene }), h("span", {}, scene)));
  }
  $("#share-button").addEventListener("click", onShare);
  $("#unshare-button").addEventListener("click", onUnshare);
  $("#copy-button").addEventListener("click", async () => {
    const ok = await copyText($("#share-link").value, $("#share-link"));
    $("#share-note").textContent = ok ? "Copied." : "Select the link and copy it.";
  });
  $("#delete-button").addEventListener("click", () => confirmDelete(true));
  $("#delete-keep").addEventListener("click", () => {
    confirmDelete(false);
    $("#delete-button").focus();
  });
  $("#delete-confirm").addEventListener("click", onDelete);
  $("#remix-form").addEventListener("submit", onRemix);
}

function stopFollowing() {
  if (state.stream) state.stream.close();
  state.stream = null;
  clearInterval(state.poll);
  state.poll = null;
}

async function openVideo(id) {
  const seq = state.videoSeq;
  $("#video-title").textContent = "Your video";
  $("#video-line").textContent = "";
  $("#video-state").textContent = "";
  $("#video-state").className = "badge";
  say($("#video-error"), "");
  $("#players").replaceChildren(h("p", { class: "muted" }, h("span", { class: "spinner", "aria-hidden": "true" }), " Loading\u2026"));
  for (const sel of ["#video-actions", "#remix-form", "#video-details"]) $(sel).hidden = true;
  let video;
  try {
    video = await api(`/api/videos/${encodeURIComponent(id)}`);
  } catch (error) {
    if (seq !== state.videoSeq || needsLogin(error)) return;
    $("#players").replaceChildren(h("p", {}, h("a", { href: "#/gallery" }, "Back to the gallery")));
    say($("#video-error"), error.message);
    return;
  }
  let parent = null;
  if (video.parent) {
    try {
      parent = await api(`/api/videos/${encodeURIComponent(video.parent)}`);
    } catch {
      parent = null; // deleted or not ours: the remix still shows
    }
  }
  if (seq !== state.videoSeq) return;
  state.current = video;
  state.parent = parent;
  renderVideo();
  if (!TERMINAL.has(video.state)) follow(video.id, seq);
}

function stateBadge(el, v) {
  el.textContent = STATES[v.state] || v.state;
  el.className = `badge state-${v.state}`;
}

function player(v, label) {
  const video = h("video", {
    class: "player", controls: true, playsinline: true, preload: "metadata", src: v.video_url,
    poster: v.preview_url || null, "aria-label": label, dataset: { role: "player", id: v.id },
    width: v.width || null, height: v.height || null,
  });
  // as wide as the card allows, but never taller than most of the window
  if (v.width && v.height) video.style.width = `min(100%, calc(64vh * ${(v.width / v.height).toFixed(4)}))`;
  return h("div", { class: "stage" }, video);
}

function figure(role, caption, content) {
  return h("figure", { class: `player-card card ${role}`, dataset: { figure: role } },
    h("figcaption", { class: "figcap" }, caption), content);
}

function renderVideo() {
  const v = state.current;
  const parent = state.parent;
  const remix = v.kind === "remix" || Boolean(v.parent);
  $("#video-title").textContent = remix ? "Your remix" : "Your video";
  $("#video-line").textContent = v.line ? quoted(v.line) : "A silent clip";
  stateBadge($("#video-state"), v);
  say($("#video-error"), "");

  const figures = [];
  if (remix) {
    const content = parent
      ? (parent.state === "done" ? player(parent, "The original video") : h("p", { class: "muted" }, `The original is ${STATES[parent.state] || parent.state}.`))
      : h("p", { class: "muted" }, "The original was deleted.");
    figures.push(figure("parent", [
      h("span", { class: "figtitle" }, "Original"),
      parent ? h("a", { href: `#/v/${parent.id}`, class: "figlink" }, parent.line ? quoted(parent.line) : "open") : null,
    ], content));
  }
  figures.push(figure("child", h("span", { class: "figtitle" }, remix ? "This remix" : "This video"), childContent(v)));
  const players = $("#players");
  const pair = figures.length > 1;
  players.classList.toggle("side-by-side", pair);
  players.replaceChildren(...figures);
  // a remix and its original side by side across the page; one video beside its details
  if (pair) $("#pair-slot").append(players);
  else $("#col-main").prepend(players);

  const done = v.state === "done";
  $("#video-actions").hidden = !TERMINAL.has(v.state);
  $("#video-actions").classList.toggle("only-delete", !done);
  $("#remix-form").hidden = !done;
  $("#download-section").hidden = !done; // a failed or cancelled video can only be deleted
  $("#share-section").hidden = !done;
  renderDownloads(v);
  renderShare(v);
  confirmDelete(false);
  if (done) fillRemix(v);
  renderDetails(v, parent);
  $("#video-details").hidden = false;
}

function childContent(v) {
  if (v.state === "done") return player(v, "The video");
  if (v.state === "failed") {
    return h("div", { class: "ended failed" },
      h("p", { class: "error", role: "alert" }, (v.error && v.error.message) || "This video could not be made."),
      h("p", {}, h("a", { href: "#/" }, "Back to Make"), " to change the photo or the prompt."));
  }
  if (v.state === "cancelled") {
    return h("div", { class: "ended" }, h("p", {}, "This video was cancelled before it was finished."),
      h("p", {}, h("a", { href: "#/" }, "Back to Make")));
  }
  const percent = Math.round(v.percent || 0);
  const frame = h("div", { class: "frame-box" },
    h("img", { class: "photo-under", src: v.photo_url || "", alt: "", hidden: !v.photo_url || Boolean(v.preview_url) }),
    h("img", { class: "preview-frame", id: "preview-frame", alt: "The first rendered frame", src: v.preview_url || null, hidden: !v.preview_url }),
    h("span", { class: "frame-tag", id: "frame-tag", hidden: !v.preview_url }, "First frame"));
  return h("div", { class: "render-box" }, frame,
    h("div", { class: "progress-wrap" },
      h("div", {
        class: "progress", id: "progress", role: "progressbar", "aria-label": "Making the video",
        "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(percent),
        "aria-valuetext": `${STAGES[v.stage] || "Waiting"}, ${percent}%`,
      }, h("div", { class: "progress-fill", id: "progress-fill" })),
      h("div", { class: "progress-text" },
        h("span", { id: "progress-stage" }, STAGES[v.stage] || "Waiting for a free worker"),
        h("span", { id: "progress-percent", class: "num" }, `${percent}%`))),
    h("div", { class: "row" },
      h("button", { type: "button", class: "secondary", id: "cancel-button", onclick: onCancel }, "Cancel"),
      h("span", { class: "muted small", id: "cancel-note", "aria-live": "polite" }, "")));
}

function setProgress(stage, percent) {
  const bar = $("#progress");
  if (!bar) return;
  const now = Number(bar.getAttribute("aria-valuenow")) || 0;
  const value = Math.max(now, Math.min(100, Math.round(Number(percent) || 0)));
  const label = STAGES[stage] || stage || "Working";
  bar.setAttribute("aria-valuenow", String(value));
  bar.setAttribute("aria-valuetext", `${label}, ${value}%`);
  $("#progress-fill").style.width = `${value}%`;
  $("#progress-stage").textContent = label;
  $("#progress-percent").textContent = `${value}%`;
}

function showPreviewFrame(url) {
  const img = $("#preview-frame");
  if (!img || !url) return;
  if (img.getAttribute("src") !== url) img.src = url;
  img.hidden = false;
  $("#frame-tag").hidden = false;
  const under = $(".photo-under");
  if (under) img.addEventListener("load", () => { under.hidden = true; }, { once: true });
}

function follow(id, seq) {
  stopFollowing();
  const stream = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events`);
  state.stream = stream;
  const parse = (event) => {
    try { return JSON.parse(event.data); } catch { return null; }
  };
  stream.addEventListener("progress", (event) => {
    const d = parse(event);
    if (d && seq === state.videoSeq) setProgress(d.stage, d.percent);
  });
  stream.addEventListener("preview", (event) => {
    const d = parse(event);
    if (d && seq === state.videoSeq) showPreviewFrame(d.url);
  });
  stream.addEventListener("state", (event) => {
    const v = parse(event);
    if (v && seq === state.videoSeq) applyState(v);
  });
  stream.addEventListener("error", () => {
    if (state.stream !== stream || seq !== state.videoSeq) return;
    // the stream dropped: poll until it reconnects or the job ends
    if (stream.readyState === EventSource.CLOSED) {
      state.stream = null;
      pollJob(id, seq);
    }
  });
}

function pollJob(id, seq) {
  clearInterval(state.poll);
  state.poll = setInterval(async () => {
    try {
      const v = await api(`/api/jobs/${encodeURIComponent(id)}`);
      if (seq === state.videoSeq) applyState(v);
    } catch { /* keep trying while the page shows it */ }
  }, 1000);
}

function applyState(v) {
  if (!state.current || v.id !== state.current.id) return;
  state.current = v;
  stateBadge($("#video-state"), v);
  if (v.preview_url) showPreviewFrame(v.preview_url);
  if (TERMINAL.has(v.state)) {
    stopFollowing();
    if (v.state === "done") setProgress("sign", 100);
    renderVideo();
    if (v.state === "done") announce(v.kind === "remix" ? "Your remix is ready." : "Your video is ready.");
    return;
  }
  setProgress(v.stage, v.percent);
}

async function onCancel() {
  const v = state.current;
  const button = $("#cancel-button");
  button.disabled = true;
  button.textContent = "Cancelling\u2026";
  try {
    const updated = await api(`/api/jobs/${encodeURIComponent(v.id)}/cancel`, { method: "POST" });
    if (updated) applyState(updated);
  } catch (error) {
    if (needsLogin(error)) return;
    button.disabled = false;
    button.textContent = "Cancel";
    $("#cancel-note").textContent = error.message;
  }
}

function renderDownloads(v) {
  const links = [];
  if (v.video_url) links.push(["MP4 video", `${v.video_url}${v.video_url.includes("?") ? "&" : "?"}download=1`, "mp4"]);
  if (v.captions_url) {
    links.push(["Captions (WebVTT)", v.captions_url, "captions"]);
    links.push(["Captions (SRT)", v.captions_url.replace(/\.vtt$/, ".srt"), "srt"]);
  }
  if (v.recipe_url) links.push(["Recipe (JSON)", v.recipe_url, "recipe"]);
  $("#downloads").replaceChildren(...links.map(([label, href, key]) => h("a", {
    class: "button ghost download", href, download: "", dataset: { download: key },
  }, downloadIcon(), label)));
}

function downloadIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M5 20h14v-2H5v2zM19 9h-4V3H9v6H5l7 7 7-7z");
  svg.append(path);
  return svg;
}

function shareUrl(v) {
  return v.share_url ? new URL(v.share_url, location.origin).href : "";
}

function renderShare(v) {
  const shared = Boolean(v.shared && v.share_url);
  $("#share-link-row").hidden = !shared;
  $("#share-link").value = shareUrl(v);
  $("#share-button").hidden = shared;
  $("#unshare-button").hidden = !shared;
  $("#share-note").textContent = shared ? "Anyone with the link can watch it." : "";
  say($("#share-error"), "");
}

async function onShare() {
  const v = state.current;
  const button = $("#share-button");
  button.disabled = true;
  say($("#share-error"), "");
  try {
    const result = await api(`/api/videos/${encodeURIComponent(v.id)}/share`, { method: "POST" });
    state.current = { ...v, shared: true, share_url: result.share_url };
    renderShare(state.current);
    $("#share-link").focus();
    $("#share-link").select();
  } catch (error) {
    if (!needsLogin(error)) say($("#share-error"), error.message);
  } finally {
    button.disabled = false;
  }
}

async function onUnshare() {
  const v = state.current;
  const button = $("#unshare-button");
  button.disabled = true;
  say($("#share-error"), "");
  try {
    await api(`/api/videos/${encodeURIComponent(v.id)}/share`, { method: "DELETE" });
    state.current = { ...v, shared: false, share_url: null };
    renderShare(state.current);
    $("#share-note").textContent = "Unshared: the link no longer works.";
    $("#share-button").focus();
  } catch (error) {
    if (!needsLogin(error)) say($("#share-error"), error.message);
  } finally {
    button.disabled = false;
  }
}

function confirmDelete(asking) {
  $("#delete-button").hidden = asking;
  $("#delete-confirm").hidden = !asking;
  $("#delete-keep").hidden = !asking;
  say($("#delete-error"), "");
  if (asking) $("#delete-confirm").focus();
}

async function onDelete() {
  const v = state.current;
  try {
    await api(`/api/videos/${encodeURIComponent(v.id)}`, { method: "DELETE" });
  } catch (error) {
    if (!needsLogin(error)) say($("#delete-error"), error.message);
    return;
  }
  toast("Deleted.");
  location.hash = "#/gallery";
}

function fillRemix(v) {
  const d = v.remix_defaults || {};
  $("#remix-say").value = d.say || "";
  $("#remix-recording").value = "";
  $("#remix-voice").value = d.voice || (state.config.voices || ["male"])[0];
  $("#remix-expression").value = d.expression || "";
  $("#remix-camera").value = d.camera || "static";
  const scenes = new Set(d.scene || []);
  for (const box of document.querySelectorAll("#remix-scenes input")) box.checked = scenes.has(box.value);
  $("#remix-captions").checked = Boolean(v.captions_url);
  say($("#remix-error"), "");
  $("#remix-button").disabled = false;
}

async function onRemix(event) {
  event.preventDefault();
  const v = state.current;
  const d = v.remix_defaults || {};
  const body = {};
  const words = $("#remix-say").value.trim();
  if (words !== (d.say || "").trim()) body.say = words;
  const voice = $("#remix-voice").value;
  if (voice && voice !== d.voice) body.voice = voice;
  const expression = $("#remix-expression").value.trim();
  if (expression && expression !== (d.expression || "")) body.expression = expression;
  const camera = $("#remix-camera").value;
  if (camera && camera !== (d.camera || "static")) body.camera = camera;
  const scenes = [...document.querySelectorAll("#remix-scenes input:checked")].map((box) => box.value);
  if ([...scenes].sort().join(",") !== [...(d.scene || [])].sort().join(",")) body.scene = scenes;
  const recording = $("#remix-recording").files[0];
  if (recording) {
    const form = new FormData();
    form.append("recording", recording, recording.name);
    try {
      body.recording_id = (await api("/api/recordings", { method: "POST", form })).id;
    } catch (error) {
      if (needsLogin(error)) return;
      say($("#remix-error"), error.message);
      return;
    }
    delete body.voice;
    if (words && words === (d.say || "").trim()) delete body.say; // the old words are not this recording's
  }
  if (!Object.keys(body).length) {
    say($("#remix-error"), "Change the words, the voice, the expression, the camera or the scene first.");
    $("#remix-say").focus();
    return;
  }
  body.captions = $("#remix-captions").checked; // not a change of the video: captions are written beside it
  say($("#remix-error"), "");
  const button = $("#remix-button");
  button.disabled = true;
  button.textContent = "Starting\u2026";
  try {
    const child = await api(`/api/videos/${encodeURIComponent(v.id)}/remix`, { method: "POST", json: body });
    location.hash = `#/v/${child.id}`;
  } catch (error) {
    if (needsLogin(error)) return;
    say($("#remix-error"), error.status === 429 && error.retryAfter
      ? `${error.message} You can try again in ${error.retryAfter} s.` : error.message);
  } finally {
    button.disabled = false;
    button.textContent = "Remix";
  }
}

function renderDetails(v, parent) {
  const extra = [
    ["prompt", v.parent ? "Original prompt" : "Prompt", v.prompt ? v.prompt : h("span", { class: "muted" }, "(none)")],
    ["made", "Made", `${when(v.created)}${v.finished && v.created ? ` (took ${seconds(v.finished - v.created)})` : ""}`],
  ];
  if (v.width && v.height) extra.push(["frame", "Frame", `${v.width} \u00d7 ${v.height}${v.duration ? `, ${seconds(v.duration)}` : ""}`]);
  if (v.parent) {
    extra.push(["parent", "Remix of", parent
      ? h("a", { href: `#/v/${parent.id}` }, parent.line ? quoted(parent.line) : "the original")
      : h("span", { class: "muted" }, "a video that was deleted")]);
  }
  if (v.children && v.children.length) {
    extra.push(["children", "Remixes", h("span", { class: "inline-links" },
      v.children.map((id, i) => h("a", { href: `#/v/${id}` }, `remix ${i + 1}`)))]);
  }
  renderSummary($("#details-list"), v.summary || { line: v.line }, extra);
}

// ------------------------------------------------------------------ gallery

async function openGallery() {
  const seq = state.videoSeq;
  let videos;
  try {
    ({ videos } = await api("/api/videos"));
  } catch (error) {
    if (seq !== state.videoSeq || needsLogin(error)) return;
    say($("#gallery-error"), error.message);
    return;
  }
  if (seq !== state.videoSeq) return;
  say($("#gallery-error"), "");
  const byId = new Map(videos.map((v) => [v.id, v]));
  $("#gallery-empty").hidden = videos.length > 0;
  $("#gallery-list").replaceChildren(...videos.map((v) => galleryItem(v, byId)));
  if (videos.some((v) => !TERMINAL.has(v.state))) {
    state.galleryTimer = setTimeout(() => { if (seq === state.videoSeq) openGallery(); }, 2000);
  }
}

function galleryItem(v, byId) {
  const href = `#/v/${v.id}`;
  const thumb = v.preview_url || v.photo_url;
  const parent = v.parent ? byId.get(v.parent) : null;
  const running = !TERMINAL.has(v.state);
  const children = (v.children || []).length;
  return h("li", { class: "card video-card", dataset: { id: v.id, state: v.state } },
    h("div", { class: "thumb" },
      thumb ? h("img", { src: thumb, alt: "", loading: "lazy" }) : h("div", { class: "thumb-empty" }),
      h("span", { class: `badge state-${v.state}` }, running ? `${STATES[v.state]} ${Math.round(v.percent || 0)}%` : STATES[v.state] || v.state),
      v.duration ? h("span", { class: "duration num" }, seconds(v.duration)) : null),
    h("div", { class: "vc-body" },
      h("a", { class: "vc-title stretched", href }, v.line ? quoted(v.line) : "A silent clip"),
      h("p", { class: "vc-meta muted small" }, [ago(v.created), v.width ? `${v.width}\u00d7${v.height}` : null]
        .filter(Boolean).join(" \u00b7 ")),
      v.parent ? h("p", { class: "lineage small", dataset: { lineage: v.parent } },
        h("span", { class: "lineage-icon", "aria-hidden": "true" }, "\u21b3 "), "remix of ",
        parent ? h("a", { href: `#/v/${parent.id}`, class: "above" }, parent.line ? quoted(parent.line) : "a silent clip")
          : h("span", { class: "muted" }, "a deleted video")) : null,
      children ? h("p", { class: "muted small children" }, `${children} remix${children > 1 ? "es" : ""}`) : null));
}

// ------------------------------------------------------------------ verify

function setupVerify() {
  const input = $("#verify-input");
  input.addEventListener("change", () => {
    if (input.files && input.files[0]) verifyFile(input.files[0]);
    input.value = "";
  });
  const zone = $("#verify-drop");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    zone.classList.remove("dragging");
    const file = event.dataTransfer?.files?.[0];
    if (!file) return;
    event.preventDefault();
    verifyFile(file);
  });
}

async function verifyFile(file) {
  const seq = ++state.verifySeq;
  const limit = state.config.limits && state.config.limits.max_upload_bytes;
  say($("#verify-error"), "");
  $("#verify-result").hidden = true;
  if (limit && file.size > limit) {
    say($("#verify-error"), `That file is ${(file.size / 1e6).toFixed(1)} MB, over this studio's ${(limit / 1e6).toFixed(0)} MB limit.`);
    return;
  }
  $("#verify-name").textContent = file.name;
  $("#verify-busy").hidden = false;
  const form = new FormData();
  form.append("video", file, file.name || "video.mp4");
  try {
    const report = await api("/api/verify", { method: "POST", form });
    if (seq !== state.verifySeq) return;
    renderReport(file.name, report);
  } catch (error) {
    if (seq !== state.verifySeq || needsLogin(error)) return;
    say($("#verify-error"), error.message);
  } finally {
    if (seq === state.verifySeq) $("#verify-busy").hidden = true;
  }
}

/** The report, in the words `sayso verify` prints. */
function renderReport(name, r) {
  $("#verify-file").textContent = name;
  const verdict = $("#verify-verdict");
  verdict.textContent = r.verdict;
  const kind = r.code === 0 ? "ok" : r.code === 20 ? "none" : "warn";
  verdict.className = `verdict verdict-${kind}`;
  $("#verify-result").dataset.code = String(r.code);
  const rows = [];
  if (r.manifest_present) {
    const status = r.manifest_valid ? "valid" : `INVALID (${r.manifest_reason || "no reason given"})`;
    const trust = r.manifest_valid
      ? (r.manifest_trusted ? ", trusted (this machine's sayso identity)" : ", not trusted here") : "";
    const actions = (r.manifest_actions || []).length ? `; actions: ${r.manifest_actions.join(", ")}` : "";
    rows.push(["manifest", "Manifest", `${status}${trust}${actions}`]);
    rows.push(["label", "Visible label", r.label ? "on" : "off"]);
  } else {
    rows.push(["manifest", "Manifest", "none"]);
  }
  if (r.watermark) {
    const match = { true: "matches the manifest", false: "DOES NOT match the manifest", null: "no manifest to compare" };
    rows.push(["watermark", "Watermark", `${r.watermark} (confidence ${r.watermark_confidence}), ${match[String(r.watermark_matches_manifest)]}`]);
  } else {
    rows.push(["watermark", "Watermark", "not found"]);
  }
  if (r.recipe_id || r.in_library) {
    rows.push(["library", "Library", r.in_library ? "this video is in your library" : "not in your library"]);
  }
  if (r.recipe_id) rows.push(["recipe", "Recipe", String(r.recipe_id).slice(0, 12)]);
  if ((r.lineage || []).length > 1) rows.push(["lineage", "Lineage", lineageText(r.lineage)]);
  $("#verify-details").replaceChildren(...rows.flatMap(([key, label, value]) => [
    h("dt", {}, label), h("dd", { dataset: { verify: key } }, value),
  ]));
  $("#verify-result").hidden = false;
}

boot();
