// Edit the YAML rule file, try it on the items (per-rule analysis), save and register it.
import { api, el, label as show, pct, say as sayIn, table } from "./api.js";

const $ = (id) => document.getElementById(id);
const say = (text, error = false) => sayIn($("message"), text, error);
const EXAMPLE = "rules:\n  - name: mentions_money\n    kind: keywords\n    keywords: [cash, prize, free]\n    label: CLASS\n";

function highlighted(text, spans) {
  const box = el("span", {});
  let at = 0;
  for (const [a, b] of spans) {
    if (a < at || b > text.length) continue;
    box.append(document.createTextNode(text.slice(at, a)), el("mark", { text: text.slice(a, b) }));
    at = b;
  }
  box.append(document.createTextNode(text.slice(at)));
  return box;
}

async function load() {
  const f = await api("GET", "/api/rules/file");
  $("file-name").textContent = f.name + (f.exists ? "" : ", not written yet");
  $("rules-text").value = f.text || EXAMPLE;
  const rules = await api("GET", "/api/rules");
  table($("registered"), ["rule", "version", "active", "votes", "coverage"], rules.map((r) => [r.name, r.version.slice(0, 10), r.active ? "yes" : "no", r.votes.toLocaleString(), pct(r.coverage)]), { empty: "No rules registered yet." });
}

async function tryRules() {
  say("Trying the rules on the items…");
  $("try").disabled = true;
  try {
    const t = await api("POST", "/api/rules/try", { text: $("rules-text").value });
    $("trial").hidden = false;
    $("trial-summary").textContent = `On ${t.items.toLocaleString()} items, ${t.labeled.toLocaleString()} of them labeled by people (for the accuracy).`;
    table($("analysis"), ["rule", "votes for", "coverage", "overlaps", "conflicts", "accuracy on people's labels"], t.rules.map((r) => [
      r.name, r.votes_for.join(", ") || "–", pct(r.coverage), pct(r.overlaps), pct(r.conflicts),
      r.accuracy == null ? "no labeled item covered" : `${pct(r.accuracy)} (${r.correct} right, ${r.incorrect} wrong)`,
    ]));
    $("examples").replaceChildren(el("h3", { text: "A few items each rule votes on" }), ...t.rules.map((r) => el("div", {},
      el("strong", { text: r.name }),
      r.examples.length ? el("ul", {}, ...r.examples.map((e) => el("li", {}, `${e.item_id} → ${show(e.vote)}: `, e.text == null ? "" : highlighted(e.text, e.spans)))) : el("p", { class: "hint", text: "It votes on no item." }))));
    say(`Tried ${t.rules.length} rule(s).`);
    document.body.dataset.tried = String(t.rules.length);
  } catch (err) {
    say(err.message, true);
  } finally {
    $("try").disabled = false;
  }
}

async function save() {
  $("save").disabled = true;
  say("Saving and applying the rules to every item…");
  try {
    const out = await api("PUT", "/api/rules/file", { text: $("rules-text").value });
    say("Saved: " + Object.entries(out.rules).map(([n, s]) => `${n} ${s}`).join(", ") + ".");
    await load();
  } catch (err) {
    say(err.message, true);
  } finally {
    $("save").disabled = false;
  }
}

$("try").addEventListener("click", tryRules);
$("save").addEventListener("click", save);
$("rules-text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); tryRules(); }
  if (event.key === "Tab" && !event.shiftKey) { // two spaces, as YAML wants
    event.preventDefault();
    const t = event.target, at = t.selectionStart;
    t.setRangeText("  ", at, t.selectionEnd, "end");
  }
});
load().catch((err) => say(err.message, true));
