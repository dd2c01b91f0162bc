// The labeling view: one item at a time, keyboard first.
import { api, config, el, label as show, pct, say as sayIn, typing, when } from "./api.js";

const cfg = config();
const multi = cfg.task === "multilabel";
const names = cfg.classes.map((c) => c.name);
const keyOf = new Map(cfg.classes.filter((c) => c.key).map((c) => [c.key.toLowerCase(), c.name]));
const $ = (id) => document.getElementById(id);
const POLL_EMPTY_MS = cfg.poll_ms ?? 15000;
const POLL_PROGRESS_MS = 30000;

let current = null; // the item on screen (as GET /api/items/next returns it)
let revisiting = false; // an earlier answer of mine, opened from "My answers"
let selected = new Set();
let busy = false;
let answered = 0;
const undoStack = []; // item ids answered on this page, newest last
let emptyTimer = null;
let progressTimer = null;

const say = (text, error = false) => sayIn($("message"), text, error);

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
    const img = el("img", { src: payload.image, alt: "item " + item.item_id, class: "item-image", title: "z or a click zooms" });
    img.addEventListener("click", zoom);
    img.addEventListener("error", () => say("The image of this item cannot be shown; skip it with the reason 'broken' (s, then 2).", true));
    return el("div", { class: "image-box", id: "image-box" }, img);
  }
  if (cfg.data_type === "tabular" && payload && typeof payload === "object") {
    const rows = Object.entries(payload).map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { text: v === null ? "" : String(v) })));
    return el("table", { class: "row" }, el("tbody", {}, ...rows));
  }
  return renderText(String(payload ?? ""), item.spans);
}

function zoom() {
  const box = $("image-box");
  if (!box) return;
  box.classList.toggle("zoomed");
  say(box.classList.contains("zoomed") ? "Zoomed to full size (scroll to move; z again fits it)." : "");
}

function renderClasses() {
  const box = $("classes");
  box.replaceChildren(
    ...cfg.classes.map((c, i) => {
      const on = selected.has(c.name);
      const keys = [String((i + 1) % 10), c.key].filter((k, j) => k && (j === 0 ? i < 10 : true)).join(" ");
      const button = el("button", { type: "button", class: "class" + (on ? " selected" : ""), "data-class": c.name, "aria-pressed": on ? "true" : "false", title: c.description || null },
        el("kbd", { text: keys }), " " + c.name, c.description ? el("span", { class: "desc", text: c.description }) : null);
      if (c.color) button.style.setProperty("--c", c.color);
      button.addEventListener("click", (event) => {
        choose(c.name);
        if (event.detail > 0) document.activeElement?.blur(); // a mouse click: Enter submits next
      });
      return button;
    }),
  );
}

function voteLine(v) {
  const name = String(v.source).replace(/^rule:/, "rule ").replace(/^model:/, "model ");
  return `${name}: ${show(v.label)}` + (typeof v.score === "number" ? ` (${v.score.toFixed(2)})` : "");
}

function render(item, { revisit = false } = {}) {
  clearTimeout(emptyTimer);
  current = item;
  revisiting = revisit;
  selected = new Set();
  $("empty").hidden = true;
  $("content").replaceChildren(renderPayload(item));
  $("mode").textContent = item.mode === "audit" ? "audit (blind)" : item.mode === "crowd" ? "crowd (blind)" : item.mode ?? "";
  $("item-id").textContent = item.item_id;
  const review = item.mode === "review";
  const showWhy = review && (item.suggestion != null || item.model || (item.votes ?? []).length);
  $("suggestion").hidden = !showWhy;
  $("accept").hidden = !(review && item.suggestion != null);
  if (showWhy) {
    $("suggested").textContent = item.suggestion == null ? "none yet" : show(item.suggestion);
    $("confidence").textContent = item.confidence == null ? "" : `(confidence ${pct(item.confidence, 0)})`;
    const lines = [];
    if (item.model) lines.push(el("li", { text: `the model (round ${item.model.round}): ${item.model.label}, ${pct(item.model.probability, 0)}` }));
    for (const v of item.votes ?? []) if (v.label != null) lines.push(el("li", { text: voteLine(v) }));
    if (!lines.length) lines.push(el("li", { class: "hint", text: "No rule or model voted on this item." }));
    $("votes").replaceChildren(...lines);
  } else {
    $("votes").replaceChildren();
  }
  $("revisit").hidden = !revisit;
  $("your-answer").textContent = show(item.your_answer);
  if (revisit && item.your_answer != null) selected = new Set(Array.isArray(item.your_answer) ? item.your_answer : [item.your_answer]);
  renderClasses();
  closePanels();
  document.body.dataset.itemId = item.item_id;
  document.body.dataset.mode = item.mode ?? "";
}

function showEmpty() {
  current = null;
  revisiting = false;
  $("content").replaceChildren();
  $("suggestion").hidden = true;
  $("revisit").hidden = true;
  $("classes").replaceChildren();
  $("item-id").textContent = "";
  $("mode").textContent = cfg.queue;
  $("empty").hidden = false;
  closePanels();
  document.body.dataset.itemId = "";
  clearTimeout(emptyTimer);
  emptyTimer = setTimeout(() => loadNext().catch(() => {}), POLL_EMPTY_MS);
}

async function loadNext() {
  const item = await api("GET", `/api/items/next?queue=${encodeURIComponent(cfg.queue)}`);
  if (item === null) showEmpty();
  else render(item);
  refreshProgress();
}

async function openCard(itemId) {
  document.activeElement?.blur(); // Enter answers the card, not the link again
  try {
    const item = await api("GET", `/api/items/${encodeURIComponent(itemId)}/card`);
    render(item, { revisit: item.your_answer != null });
    say(item.your_answer != null ? `Your answer on ${itemId} is ${show(item.your_answer)}.` : `Item ${itemId} is yours to answer.`);
    window.scrollTo({ top: 0 });
  } catch (err) {
    say(err.message, true);
  }
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
  const wasRevisit = revisiting;
  try {
    await api("POST", `/api/items/${encodeURIComponent(id)}/answers`, body);
    if (!body.skip && !wasRevisit) {
      undoStack.push(id);
      answered += 1;
      $("counter").textContent = `${answered} answered on this page`;
    }
    say(wasRevisit ? `Changed your answer on ${id}.` : `${verb} ${id}.`);
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
    say("Pick a class first (a digit or a class's key).", true);
    return;
  }
  const labels = [...selected];
  await send({ label: multi ? labels : labels[0] }, "Saved");
}

async function accept() {
  if (!current || current.mode !== "review" || current.suggestion == null) {
    say("There is no suggestion to accept on this item.", true);
    return;
  }
  selected = new Set(Array.isArray(current.suggestion) ? current.suggestion : [current.suggestion]);
  renderClasses();
  await send({ label: current.suggestion }, "Accepted the suggestion on");
}

// -- skip with a reason ---------------------------------------------------------------------
function renderReasons() {
  $("reasons").replaceChildren(
    ...cfg.reasons.map((reason, i) => {
      const b = el("button", { type: "button", "data-reason": reason }, el("kbd", { text: String(i + 1) }), " " + reason);
      b.addEventListener("click", () => skipWith(reason));
      return b;
    }),
  );
}

function openSkip() {
  if (!current) return;
  closePanels();
  $("skip-panel").hidden = false;
  $("reasons").querySelector("button")?.focus();
}

async function skipWith(reason) {
  $("skip-panel").hidden = true;
  await send({ skip: true, skip_reason: reason }, `Skipped (${reason || "no reason"})`);
}

// -- comments ---------------------------------------------------------------------------------
async function openComments() {
  if (!current) return;
  closePanels();
  $("comment-panel").hidden = false;
  $("comment-text").focus();
  try {
    const found = await api("GET", `/api/items/${encodeURIComponent(current.item_id)}/comments`);
    $("comments").replaceChildren(...found.map((c) => el("li", {}, el("strong", { text: c.user }), ` (${when(c.at)}): `, c.text)));
  } catch (err) {
    say(err.message, true);
  }
}

async function saveComment() {
  const text = $("comment-text").value.trim();
  if (!current || !text) return;
  try {
    await api("POST", `/api/items/${encodeURIComponent(current.item_id)}/comments`, { text });
    $("comment-text").value = "";
    say(`Comment saved on ${current.item_id}.`);
    $("comment-text").blur(); // the keys are the page's again
    $("comment-panel").hidden = true;
  } catch (err) {
    say(err.message, true);
  }
}

function closePanels() {
  for (const id of ["skip-panel", "comment-panel"]) {
    const panel = $(id);
    if (panel.contains(document.activeElement)) document.activeElement.blur();
    panel.hidden = true;
  }
}

// -- undo, history ----------------------------------------------------------------------------
async function undo() {
  if (busy) return;
  if (undoStack.length === 0) {
    say("Nothing left to undo on this page; open an earlier answer under My answers (h).", true);
    return;
  }
  busy = true;
  const id = undoStack.pop();
  try {
    const out = await api("POST", `/api/items/${encodeURIComponent(id)}/undo`);
    answered = Math.max(0, answered - 1);
    $("counter").textContent = `${answered} answered on this page`;
    render(out.card);
    say(`Undid your answer on ${id}; answer it again.`);
    refreshProgress();
  } catch (err) {
    undoStack.push(id);
    say(err.message, true);
  } finally {
    busy = false;
  }
}

async function toggleHistory(force) {
  const section = $("history");
  const show_ = force ?? section.hidden;
  section.hidden = !show_;
  if (!show_) return;
  try {
    const rows = await api("GET", "/api/me/answers?limit=25");
    $("history-list").replaceChildren(
      ...(rows.length ? rows.map((r) => {
        const open = el("button", { type: "button", class: "link", text: r.item_id });
        open.addEventListener("click", () => openCard(r.item_id));
        const answer = r.withdrawn ? "withdrawn" : show(r.label);
        return el("li", {}, open, ` · ${answer} · ${r.queue ?? ""} · ${when(r.at)} · `, el("span", { class: "hint", text: r.snippet }));
      }) : [el("li", { class: "hint", text: "No answers yet." })]),
    );
    section.scrollIntoView({ block: "nearest" });
  } catch (err) {
    say(err.message, true);
  }
}

// -- progress ---------------------------------------------------------------------------------
let progressBusy = false;
async function refreshProgress() {
  if (progressBusy) return;
  progressBusy = true;
  clearTimeout(progressTimer);
  try {
    const start = new Date();
    start.setHours(0, 0, 0, 0);
    const p = await api("GET", `/api/me/progress?today=${encodeURIComponent(start.toISOString())}`);
    const left = p.queues?.[cfg.queue];
    const parts = [];
    // The sizes may be a few seconds old: an empty queue on screen is the fresher news.
    if (typeof left === "number" && current) parts.push(`about ${left.toLocaleString()} left in the ${cfg.queue} queue`);
    if (p.assigned) parts.push(`${p.assigned} assigned to you`);
    const a = p.answers ?? {};
    parts.push(`you: ${a.session ?? "–"} this session, ${a.today ?? "–"} today, ${a.total ?? 0} in all`);
    $("progress").textContent = parts.join(" · ");
  } catch (err) {
    // progress is a nicety: the next refresh tries again
  } finally {
    progressBusy = false;
    progressTimer = setTimeout(refreshProgress, POLL_PROGRESS_MS);
  }
}

// -- keys -------------------------------------------------------------------------------------
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    closePanels();
    if (typing(event)) event.target.blur();
    return;
  }
  if (typing(event)) {
    if (event.target.id === "comment-text" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      saveComment();
    }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key;
  if (!$("skip-panel").hidden && /^[1-9]$/.test(key)) {
    const reason = cfg.reasons[Number(key) - 1];
    if (reason) skipWith(reason);
    event.preventDefault();
    return;
  }
  if (/^[0-9]$/.test(key)) {
    const index = key === "0" ? 9 : Number(key) - 1;
    if (index < names.length) choose(names[index]);
    event.preventDefault();
  } else if (keyOf.has(key.toLowerCase())) {
    choose(keyOf.get(key.toLowerCase()));
    event.preventDefault();
  } else if (key === "Enter") {
    if (event.target instanceof HTMLButtonElement) return; // the button's own click
    event.preventDefault();
    submit();
  } else if (key === "a") {
    accept();
  } else if (key === "s") {
    openSkip();
  } else if (key === "u") {
    undo();
  } else if (key === "c") {
    event.preventDefault();
    openComments();
  } else if (key === "h") {
    toggleHistory();
  } else if (key === "z") {
    zoom();
  } else if (key === "g") {
    const guide = $("guide");
    if (guide) guide.open = !guide.open;
  } else if (key === "?") {
    $("keys-help").open = !$("keys-help").open;
  }
});

$("submit").addEventListener("click", submit);
$("accept").addEventListener("click", accept);
$("skip").addEventListener("click", openSkip);
$("undo").addEventListener("click", undo);
$("comment-open").addEventListener("click", openComments);
$("history-open").addEventListener("click", () => toggleHistory());
$("recheck").addEventListener("click", () => loadNext().catch((err) => say(err.message, true)));
$("back").addEventListener("click", () => loadNext().catch((err) => say(err.message, true)));
$("skip-other").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("skip-text").value.trim();
  if (!text) {
    say("Write a reason, or pick one of the buttons.", true);
    return;
  }
  $("skip-text").value = "";
  skipWith(text);
});
$("comment-form").addEventListener("submit", (event) => {
  event.preventDefault();
  saveComment();
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && !current) loadNext().catch(() => {});
});
renderReasons();
const start = cfg.item ? openCard(cfg.item) : loadNext();
Promise.resolve(start).catch((err) => say(err.message, true));
