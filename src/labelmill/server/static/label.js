// The labeling view: one item at a time, keyboard first.
import { api, config, el, fmt } from "./api.js";

const cfg = config();
const multi = cfg.task === "multilabel";
const $ = (id) => document.getElementById(id);
let current = null; // {item_id, mode, ...}
let selected = new Set();
let busy = false;
let answered = 0;
const history = []; // item ids answered in this page, newest last (for undo)

function say(text, error = false) {
  const node = $("message");
  node.textContent = text;
  node.classList.toggle("error", error);
}

function renderText(text, spans) {
  const box = el("div", { class: "text" });
  let at = 0;
  for (const span of spans ?? []) {
    if (span.start < at || span.end > text.length) continue;
    box.append(document.createTextNode(text.slice(at, span.start)));
    box.append(el("mark", { title: "rule " + span.source, text: text.slice(span.start, span.end) }));
    at = span.end;
  }
  box.append(document.createTextNode(text.slice(at)));
  return box;
}

function renderPayload(item) {
  const payload = item.payload;
  if (cfg.data_type === "image") {
    return el("img", { src: payload.image, alt: "item " + item.item_id, class: "item-image" });
  }
  if (cfg.data_type === "tabular" && payload && typeof payload === "object") {
    const rows = Object.entries(payload).map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { text: v === null ? "" : String(v) })));
    return el("table", { class: "row" }, el("tbody", {}, ...rows));
  }
  return renderText(String(payload ?? ""), item.spans);
}

function renderClasses() {
  const box = $("classes");
  box.replaceChildren(
    ...cfg.classes.map((name, i) =>
      el("button", { type: "button", class: "class" + (selected.has(name) ? " selected" : ""), "data-class": name, "aria-pressed": selected.has(name) ? "true" : "false" },
        el("kbd", { text: String((i + 1) % 10) }), " " + name),
    ),
  );
  box.querySelectorAll("button").forEach((b) => b.addEventListener("click", () => choose(b.dataset.class)));
}

function render(item) {
  current = item;
  selected = new Set();
  $("empty").hidden = true;
  $("content").replaceChildren(renderPayload(item));
  $("mode").textContent = item.mode === "audit" ? "audit (blind)" : item.mode ?? "";
  $("item-id").textContent = item.item_id;
  const showWhy = item.mode === "review" && item.suggestion != null;
  $("suggestion").hidden = !showWhy;
  if (showWhy) {
    $("suggested").textContent = Array.isArray(item.suggestion) ? item.suggestion.join(", ") : item.suggestion;
    $("confidence").textContent = item.confidence == null ? "" : `(confidence ${fmt(item.confidence, 2)})`;
    $("votes").replaceChildren(...(item.votes ?? []).map((v) =>
      el("li", { text: `${v.source}: ${Array.isArray(v.label) ? v.label.join(", ") : v.label}` + (v.score == null ? "" : ` (${fmt(v.score, 2)})`) })));
  } else {
    $("votes").replaceChildren();
  }
  renderClasses();
  document.body.dataset.itemId = item.item_id;
}

function showEmpty() {
  current = null;
  $("content").replaceChildren();
  $("suggestion").hidden = true;
  $("classes").replaceChildren();
  $("item-id").textContent = "";
  $("mode").textContent = cfg.queue;
  $("empty").hidden = false;
  document.body.dataset.itemId = "";
}

async function loadNext() {
  const item = await api("GET", `/api/items/next?queue=${encodeURIComponent(cfg.queue)}`);
  if (item === null) showEmpty();
  else render(item);
}

function choose(name) {
  if (!current) return;
  if (multi) {
    if (selected.has(name)) selected.delete(name);
    else selected.add(name);
  } else {
    selected = new Set([name]);
  }
  renderClasses();
}

async function send(body, verb) {
  if (!current || busy) return;
  busy = true;
  const id = current.item_id;
  try {
    await api("POST", `/api/items/${encodeURIComponent(id)}/answers`, body);
    if (!body.skip) {
      history.push(id);
      answered += 1;
      $("counter").textContent = `${answered} answered`;
    }
    say(`${verb} ${id}.`);
    await loadNext();
  } catch (err) {
    say(err.message, true);
  } finally {
    busy = false;
  }
}

async function submit() {
  if (!current) return;
  if (selected.size === 0) {
    say("Pick a class first (digits 1-9).", true);
    return;
  }
  const labels = [...selected];
  await send({ label: multi ? labels : labels[0] }, "Saved");
}

async function undo() {
  if (busy || history.length === 0) {
    if (!history.length) say("Nothing to undo on this page.", true);
    return;
  }
  busy = true;
  const id = history.pop();
  try {
    await api("POST", `/api/items/${encodeURIComponent(id)}/undo`);
    const item = await api("GET", `/api/items/${encodeURIComponent(id)}`);
    answered = Math.max(0, answered - 1);
    $("counter").textContent = `${answered} answered`;
    render({ ...item, mode: item.mode, spans: [], suggestion: item.mode === "review" ? item.label : null });
    say(`Undid the answer on ${id}; answer it again.`);
  } catch (err) {
    history.push(id);
    say(err.message, true);
  } finally {
    busy = false;
  }
}

document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement || event.target instanceof HTMLSelectElement) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (/^[0-9]$/.test(event.key)) {
    const index = event.key === "0" ? 9 : Number(event.key) - 1;
    if (index < cfg.classes.length) choose(cfg.classes[index]);
    event.preventDefault();
  } else if (event.key === "Enter") {
    event.preventDefault();
    submit();
  } else if (event.key === "s") {
    send({ skip: true }, "Skipped");
  } else if (event.key === "u") {
    undo();
  }
});
$("submit").addEventListener("click", submit);
$("skip").addEventListener("click", () => send({ skip: true }, "Skipped"));
$("undo").addEventListener("click", undo);
loadNext().catch((err) => say(err.message, true));
