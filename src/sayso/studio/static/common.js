// Shared by the studio (studio.js) and the share page (share.js): API calls, errors,
// small DOM helpers and the words the page uses for what the API returns.

/** An error the API returned (or a network failure), with the field it is about. */
export class ApiError extends Error {
  constructor(status, code, message, field = null, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

const FALLBACK = {
  400: "The studio did not understand that request: reload the page and try again.",
  401: "This studio needs its access token: enter it to go on.",
  403: "That is not yours to change.",
  404: "That was not found: it may have been deleted.",
  409: "That cannot be done right now: reload the page and try again.",
  413: "That file is too large: choose a smaller one.",
  415: "That kind of file is not accepted here.",
  422: "Something in the request cannot be used: check it and try again.",
  429: "The studio is busy: try again in a moment.",
  500: "The studio hit a problem: try again, and if it happens again, check its log.",
  503: "The studio is busy or starting: try again in a moment.",
};

/**
 * fetch() on the studio's API: JSON in (json) or a FormData (form), JSON out; null for
 * 204. Any 4xx/5xx becomes an ApiError carrying the API's own sentence and field.
 */
export async function api(path, { method = "GET", json, form, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin", signal };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (form !== undefined) {
    init.body = form;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "network", "The studio cannot be reached: check that it is running, then try again.");
  }
  const type = response.headers.get("Content-Type") || "";
  const body = response.status === 204 ? null
    : type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const e = (body && body.error) || {};
    const retry = Number.parseInt(response.headers.get("Retry-After") || "", 10);
    throw new ApiError(response.status, e.code || `http_${response.status}`,
      e.message || FALLBACK[response.status] || FALLBACK[Math.floor(response.status / 100) * 100] || FALLBACK[500],
      e.field || null, Number.isFinite(retry) ? retry : null);
  }
  return body;
}

/** document.createElement with attributes, properties and children in one call. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Show a sentence in an error slot (or hide the slot when message is empty). */
export function say(el, message) {
  el.textContent = message || "";
  el.hidden = !message;
}

/** "2 minutes ago", "yesterday", or a date for anything older than a week. */
export function ago(epochSeconds) {
  if (!epochSeconds) return "";
  const seconds = Math.max(0, Date.now() / 1000 - epochSeconds);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  if (seconds < 45) return "just now";
  if (seconds < 3600) return rtf.format(-Math.round(seconds / 60), "minute");
  if (seconds < 86400) return rtf.format(-Math.round(seconds / 3600), "hour");
  if (seconds < 7 * 86400) return rtf.format(-Math.round(seconds / 86400), "day");
  return when(epochSeconds);
}

/** A date and time in the reader's own format. */
export function when(epochSeconds) {
  if (!epochSeconds) return "";
  return new Date(epochSeconds * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function seconds(value) {
  if (value === null || value === undefined) return "";
  return `${Number(value).toFixed(1)} s`;
}

export function quoted(text) {
  return text ? `\u201c${text}\u201d` : "";
}

export const STAGES = {
  queued: "Waiting for a free worker",
  face: "Finding the face",
  speech: "Speaking the line",
  render: "Rendering frames",
  sign: "Signing",
};

export const STATES = {
  queued: "queued",
  running: "making",
  done: "done",
  failed: "failed",
  cancelled: "cancelled",
};

export const TERMINAL = new Set(["done", "failed", "cancelled"]);

/** Copy text: the Clipboard API where the page is a secure context, else a selected input. */
export async function copyText(text, input) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall back below */ }
  if (input) {
    input.focus();
    input.select();
    try { return document.execCommand("copy"); } catch { return false; }
  }
  return false;
}

/** The lineage as people read it: this video first, then what it came from. */
export function lineageText(ids) {
  return (ids || []).map((id) => String(id).slice(0, 12)).join(" \u2190 ");
}
