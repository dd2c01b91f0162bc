// Project settings, guidelines and class information, import, export.
import { api, el, say } from "./api.js";

const $ = (id) => document.getElementById(id);
const NUMBERS = ["target_accuracy", "confidence", "audit_fraction", "batch_size", "overlap"];

$("settings").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = {};
  for (const [k, v] of form.entries()) body[k] = NUMBERS.includes(k) ? Number(v) : v;
  try {
    await api("PATCH", "/api/settings", body);
    say($("settings-message"), "Settings saved; the next round uses them.");
  } catch (err) { say($("settings-message"), err.message, true); }
});

async function loadGuidance() {
  const g = await api("GET", "/api/guidance");
  $("guidance").elements.namedItem("guidelines").value = g.guidelines;
  const rows = g.classes.map((c) => {
    const info = g.class_info[c] ?? {};
    return el("tr", { "data-class": c }, el("td", { text: c }),
      el("td", {}, el("input", { name: "description", value: info.description ?? "", maxlength: "500", "aria-label": `description of ${c}` })),
      el("td", {}, el("input", { name: "color", type: "color", value: info.color || "#2f6fde", "aria-label": `colour of ${c}` }), el("label", { class: "hint" }, el("input", { type: "checkbox", name: "use_color", checked: !!info.color }), " use")),
      el("td", {}, el("input", { name: "key", value: info.key ?? "", maxlength: "1", size: "2", "aria-label": `key of ${c}` })));
  });
  $("class-info").replaceChildren(el("thead", {}, el("tr", {}, ...["class", "description", "colour", "key"].map((h) => el("th", { text: h })))), el("tbody", {}, ...rows));
}

$("guidance").addEventListener("submit", async (event) => {
  event.preventDefault();
  const info = {};
  for (const row of $("class-info").querySelectorAll("tbody tr")) {
    const get = (n) => row.querySelector(`[name=${n}]`);
    info[row.dataset.class] = { description: get("description").value.trim(), color: get("use_color").checked ? get("color").value : "", key: get("key").value.trim() };
  }
  try {
    await api("PUT", "/api/guidance", { guidelines: $("guidance").elements.namedItem("guidelines").value, class_info: info });
    say($("guidance-message"), "Saved; the labeling page shows them from its next load.");
  } catch (err) { say($("guidance-message"), err.message, true); }
});

$("import")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  for (const k of ["text_column", "id_column", "gold_column"]) if (form.get(k) === "") form.delete(k);
  say($("import-message"), "Importing…");
  try {
    const out = await api("POST", "/api/imports", undefined, { form });
    say($("import-message"), `${out.file}: ${out.summary}.`);
    event.target.reset();
  } catch (err) { say($("import-message"), err.message, true); }
});
loadGuidance().catch((err) => say($("guidance-message"), err.message, true));
