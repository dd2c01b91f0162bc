// The item browser: filter, page, open an item, see who answered what, decide, comment, assign.
import { api, config, el, label as show, pct, say as sayIn, table, typing, when } from "./api.js";

const cfg = config();
const $ = (id) => document.getElementById(id);
const say = (text, error = false) => sayIn($("message"), text, error);
let rows = []; // items listed
let cursor = -1;
let next = null;
let openItem = null; // the item in the detail panel
let decision = null; // the class picked for a decision
let classes = [];
// A label still waiting for review is not certain: never shown as 100%.
const shownConfidence = (status, c) => (typeof c === "number" && status === "review" ? Math.min(c, 0.99) : c);

function filters() {
  const form = new FormData($("filters"));
  const out = {};
  for (const [k, v] of form.entries()) {
    if (v === "" || v === null) continue;
    out[k] = v === "on" ? "true" : String(v);
  }
  return out;
}

function query(params) {
  return Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}

async function options() {
  const o = await api("GET", "/api/browse/options");
  classes = o.classes;
  const fill = (name, values) => {
    const select = $("filters").elements.namedItem(name);
    if (select) select.append(...values.map((v) => el("option", { value: v, text: v })));
  };
  fill("statuses", o.statuses);
  fill("label", o.classes);
  fill("rule", o.rules);
  fill("person", o.people);
  fill("assigned_to", o.people);
}

function renderRows() {
  table($("results"), ["item", "status", "label", "conf.", "answers", ""], rows.map((r, i) => {
    const open = el("button", { type: "button", class: "link small-id", text: r.item_id });
    open.addEventListener("click", () => { cursor = i; open_(r.item_id); });
    const answers = r.answers.map((a) => `${a.user}: ${show(a.label)}`).join(", ");
    const notes = [r.comments ? `${r.comments} comment(s)` : "", r.skips ? `${r.skips} skip(s)` : ""].filter(Boolean).join(", ");
    return [el("div", {}, el("div", { class: "snippet", text: r.snippet }), open), el("span", { class: `tag ${r.status}`, text: r.status }), show(r.label), pct(shownConfidence(r.status, r.confidence), 0), answers || "–", notes];
  }), { empty: "No item matches." });
  [...$("results").querySelectorAll("tbody tr")].forEach((tr, i) => tr.classList.toggle("current", i === cursor));
  $("more").hidden = next === null;
}

async function search({ more = false } = {}) {
  const params = filters();
  if (!more) {
    history.replaceState(null, "", "/browse" + (Object.keys(params).length ? "?" + query(params) : ""));
    rows = [];
    cursor = -1;
  }
  const page = await api("GET", "/api/browse/items?" + query({ ...params, limit: 25, ...(more && next ? { after: next } : {}) }));
  rows = rows.concat(page.items);
  next = page.next;
  if (!more) {
    const n = page.count_capped ? "10,000+" : (page.count ?? rows.length).toLocaleString();
    $("count").textContent = `${n} item(s) match.`;
    document.body.dataset.matches = String(page.count ?? "");
  }
  renderRows();
}

function renderPayload(item) {
  if (cfg.data_type === "image") return el("img", { src: item.payload.image, alt: "item " + item.item_id, class: "item-image" });
  if (cfg.data_type === "tabular" && item.payload && typeof item.payload === "object") {
    return el("table", { class: "row" }, el("tbody", {}, ...Object.entries(item.payload).map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { text: v === null ? "" : String(v) })))));
  }
  const text = String(item.payload ?? "");
  const box = el("div", { class: "content" });
  let at = 0;
  for (const span of item.spans ?? []) {
    if (span.start < at || span.end > text.length) continue;
    box.append(document.createTextNode(text.slice(at, span.start)), el("mark", { title: "rule " + span.source, text: text.slice(span.start, span.end) }));
    at = span.end;
  }
  box.append(document.createTextNode(text.slice(at)));
  return box;
}

function list(title, items, empty) {
  return el("div", {}, el("h3", { text: title }), items.length ? el("ul", {}, ...items.map((t) => (t instanceof Node ? el("li", {}, t) : el("li", { text: t })))) : el("p", { class: "hint", text: empty }));
}

function renderDetail(d) {
  openItem = d;
  decision = null;
  const box = $("detail");
  box.hidden = false;
  box.parentElement.classList.add("open");
  document.body.dataset.open = d.item_id;
  if (d.blind) {
    box.replaceChildren(el("h2", { class: "item-id", text: d.item_id }), el("p", { text: "You hold this item for a blind audit: answer it in the audit queue first; its suggestion and others' answers stay hidden until then." }), renderPayload(d));
    return;
  }
  const head = el("div", {}, el("h2", { class: "item-id", text: d.item_id }), el("span", { class: `tag ${d.status}`, text: d.status }),
    ` label ${show(d.label)}`, d.confidence == null ? "" : ` · confidence ${pct(shownConfidence(d.status, d.confidence), 0)}`);
  const machine = (d.votes ?? []).filter((v) => v.label != null).map((v) => `${v.source}: ${show(v.label)}`);
  const answers = (d.answers ?? []).map((a) => `${a.user}: ${show(a.label)} (${a.queue}, ${when(a.at)})`);
  const hist = (d.history ?? []).map((h) => `${when(h.at)} ${h.user} (${h.kind}, ${h.queue ?? "–"}): ${h.withdrawn ? "withdrew the answer" : show(h.label)}`);
  const skips = (d.skips ?? []).map((s) => `${s.user} (${s.queue}, ${when(s.at)}): ${s.reason ?? "no reason"}`);
  const comments = (d.comments ?? []).map((c) => el("span", {}, el("strong", { text: c.user }), ` (${when(c.at)}): `, c.text));
  const assigned = (d.assigned ?? []).map((a) => `${a.user}${a.done ? " (done)" : ""}`);
  const held = (d.held_by ?? []).map((h) => `${h.user} (${h.queue})`);
  const decide = el("div", { class: "panel" });
  if (d.status === "gold") {
    decide.append(el("p", { class: "hint", text: "Gold item (a blind audit answer or imported truth): its label stays as given, so the accuracy estimate stays unbiased." }));
  } else if (held.length) {
    decide.append(el("p", { class: "hint", text: `Being labeled by ${held.join(", ")} now: decide once they answered or skipped it.` }));
  } else {
    const buttons = el("div", { class: "classes", id: "decide" });
    classes.forEach((c, i) => {
      const b = el("button", { type: "button", "data-class": c }, el("kbd", { text: String((i + 1) % 10) }), " " + c);
      b.addEventListener("click", () => pick(c));
      buttons.append(b);
    });
    const go = el("button", { type: "button", class: "primary", id: "decide-go", text: "Decide ⏎" });
    go.addEventListener("click", decideNow);
    decide.append(el("strong", { text: "Decide the label" }), el("p", { class: "hint", text: "Accept an answer or override it; your decision is your own vote and makes the item human." }), buttons, go);
  }
  const form = el("form", { class: "stack", id: "browse-comment" },
    el("label", {}, "Add a comment", el("textarea", { rows: "2", maxlength: "2000", id: "browse-comment-text" })),
    el("div", {}, el("button", { type: "submit", text: "Save comment" })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("browse-comment-text").value.trim();
    if (!text) return;
    try {
      await api("POST", `/api/items/${encodeURIComponent(d.item_id)}/comments`, { text });
      say(`Comment saved on ${d.item_id}.`);
      await open_(d.item_id);
    } catch (err) { say(err.message, true); }
  });
  box.replaceChildren(head, renderPayload(d),
    list("Rules and model", machine, "No rule or model voted."),
    list("People's answers now", answers, "Nobody answered yet."),
    decide,
    el("details", {}, el("summary", { text: `History of people's votes (${hist.length})` }), list("", hist, "None.")),
    list("Skips", skips, "Nobody skipped it."),
    list("Comments", comments, "No comments."), form,
    list("Assigned to", assigned, "Nobody."));
}

function pick(name) {
  decision = name;
  $("decide")?.querySelectorAll("button").forEach((b) => b.classList.toggle("selected", b.dataset.class === name));
}

async function decideNow() {
  if (!openItem || !decision) { say("Pick a class to decide first (a digit).", true); return; }
  try {
    const out = await api("POST", `/api/browse/items/${encodeURIComponent(openItem.item_id)}/decision`, { label: decision });
    say(`Decided ${out.item_id}: ${out.label}.`);
    await open_(openItem.item_id);
    const row = rows.find((r) => r.item_id === openItem.item_id);
    if (row) { row.status = "human"; row.label = out.label; renderRows(); }
  } catch (err) { say(err.message, true); }
}

async function open_(itemId) {
  try {
    renderDetail(await api("GET", `/api/browse/items/${encodeURIComponent(itemId)}`));
    renderRows();
  } catch (err) { say(err.message, true); }
}

$("filters").addEventListener("submit", (event) => { event.preventDefault(); search().catch((err) => say(err.message, true)); });
$("clear").addEventListener("click", () => setTimeout(() => search().catch((err) => say(err.message, true)), 0));
$("more").addEventListener("click", () => search({ more: true }).catch((err) => say(err.message, true)));
$("assign")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const people = String(form.get("people")).split(",").map((p) => p.trim()).filter(Boolean);
  const params = filters();
  const filter = {};
  for (const [k, v] of Object.entries(params)) filter[k] = ["disagreement", "skipped", "commented"].includes(k) ? true : ["min_confidence", "max_confidence"].includes(k) ? Number(v) : v;
  try {
    const out = await api("POST", "/api/assignments", { people, mode: form.get("mode"), filter, limit: Number(form.get("limit")) });
    say("Assigned: " + Object.entries(out.assigned).map(([u, n]) => `${u} ${n}`).join(", ") + ".");
  } catch (err) { say(err.message, true); }
});

document.addEventListener("keydown", (event) => {
  if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "j" || event.key === "k") {
    if (!rows.length) return;
    cursor = Math.max(0, Math.min(rows.length - 1, cursor + (event.key === "j" ? 1 : -1)));
    renderRows();
    $("results").querySelectorAll("tbody tr")[cursor]?.scrollIntoView({ block: "nearest" });
    event.preventDefault();
  } else if (event.key === "Enter") {
    if (event.target instanceof HTMLButtonElement) return;
    event.preventDefault();
    if (decision && openItem) decideNow();
    else if (cursor >= 0 && rows[cursor]) open_(rows[cursor].item_id);
  } else if (/^[0-9]$/.test(event.key) && openItem && !openItem.blind) {
    const index = event.key === "0" ? 9 : Number(event.key) - 1;
    if (index < classes.length && $("decide")) pick(classes[index]);
  }
});

async function start() {
  await options();
  const params = new URLSearchParams(location.search);
  for (const [k, v] of params.entries()) {
    const field = $("filters").elements.namedItem(k);
    if (!field) continue;
    if (field.type === "checkbox") field.checked = v === "true";
    else field.value = v;
  }
  await search();
  const hash = new URLSearchParams(location.hash.slice(1)).get("item");
  if (hash) await open_(hash);
}
start().catch((err) => say(err.message, true));
