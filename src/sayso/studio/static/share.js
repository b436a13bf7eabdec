// The share page (/s/{share_id}): plays a shared video for anyone with the link and
// says where it came from. No cookies needed; a 404 means the link is gone.

import { $, api, h, lineageText, quoted, say, seconds, when } from "/static/common.js";

const NS = "http://www.w3.org/2000/svg";
const ICONS = {
  ok: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm-2 15-5-5 1.4-1.4 3.6 3.6 7.6-7.6L19 8l-9 9z",
  warn: "M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z",
};

function icon(kind) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(NS, "path");
  path.setAttribute("d", ICONS[kind]);
  svg.append(path);
  return svg;
}

function item(key, kind, title, detail) {
  return h("li", { class: kind, dataset: { prov: key } }, icon(kind),
    h("div", {}, h("strong", {}, title), detail ? h("span", { class: "muted small" }, detail) : null));
}

function shareId() {
  const match = location.pathname.match(/^\/s\/([^/]+)\/?$/);
  return match ? decodeURIComponent(match[1]) : null;
}

async function open() {
  const id = shareId();
  let shared = null;
  try {
    if (!id) throw Object.assign(new Error("no id"), { status: 404 });
    shared = await api(`/api/shared/${encodeURIComponent(id)}`);
  } catch (error) {
    $("#loading").hidden = true;
    if (error.status === 404) {
      if (error.code && error.code !== "http_404" && error.message) {
        $("#gone-text").textContent = error.message; // the API's own sentence
        $("#gone-more").hidden = true;
      }
      $("#gone").hidden = false;
      document.title = "Link not found \u00b7 sayso";
    } else {
      say($("#share-error"), error.message);
    }
    return;
  }
  $("#loading").hidden = true;
  const p = shared.provenance || {};
  $("#shared-line").textContent = shared.line ? quoted(shared.line) : "A silent clip";
  const video = $("#shared-video");
  video.src = shared.video_url;
  const meta = [shared.width && shared.height ? `${shared.width} \u00d7 ${shared.height}` : null,
    shared.duration ? seconds(shared.duration) : null].filter(Boolean).join(" \u00b7 ");
  $("#shared-meta").textContent = meta;

  const signed = p.signed
    ? item("signed", "ok", "Signed", p.trusted ? "The signature is valid and trusted by this studio."
      : "The signature is valid, but signed by an identity this studio does not trust.")
    : item("signed", "warn", "Not signed", "No valid signature was found on this copy.");
  const lineage = p.lineage || [];
  $("#provenance").replaceChildren(
    item("made_by", "ok", `Made by ${p.made_by || "sayso"}`, p.verdict ? capital(p.verdict) : null),
    item("ai", "ok", "AI-generated", p.label === false
      ? "Made from a photo by software. The visible label was turned off; the manifest and watermark still say so."
      : "Made from a photo by software, and labelled so in the corner of every frame."),
    item("when", "ok", "Made", when(p.created || shared.created)),
    signed,
    item("lineage", "ok", lineage.length > 1 ? `A remix (${lineage.length - 1} step${lineage.length > 2 ? "s" : ""} from the original)` : "An original",
      lineage.length ? lineageText(lineage) : null),
  );
  $("#shared").hidden = false;
}

function capital(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

open();
