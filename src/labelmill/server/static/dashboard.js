// The dashboard: progress, accuracy with intervals, learning curve, people, agreement, rules.
import { api, config, el, fmt, pct, table } from "./api.js";
import { bars, heatmap, lines } from "./charts.js";

const cfg = config();
const $ = (id) => document.getElementById(id);

function interval(a) {
  // Both ends when the round wrote them; "at least" when only the lower bound is known.
  if (typeof a.upper === "number") return `[${pct(a.lower)}, ${pct(a.upper)}]`;
  return `at least ${pct(a.lower)}`;
}

function seconds(s) {
  if (typeof s !== "number") return "–";
  return s < 60 ? `${s.toFixed(0)} s` : `${(s / 60).toFixed(1)} min`;
}

async function refresh() {
  const s = await api("GET", "/api/stats");
  $("n-items").textContent = s.items.toLocaleString();
  $("n-answers").textContent = s.answers.toLocaleString();
  $("n-leased").textContent = s.leased.toLocaleString();
  const last = s.last_round;
  $("round-state").textContent = last ? `Last round: ${last.id}, ${last.status}` + (last.status === "running" ? ` (stage ${last.stage ?? "…"})` : "") + (last.error ? ` — ${last.error}` : "") : "No round yet.";
  const statuses = Object.entries(s.by_status);
  table($("by-status"), ["status", "items", "share"], statuses.map(([k, v]) => [k, v.toLocaleString(), pct(s.items ? v / s.items : 0)]));
  bars($("status-chart"), statuses.map(([k, v]) => ({ label: k, value: v })), { format: (v) => v.toLocaleString() });

  const a = s.accuracy;
  const text = [];
  if (a.guarantee) text.push(a.guarantee);
  if (a.auto) text.push(`auto-accepted labels: ${pct(a.auto.estimate)} ${interval(a.auto)} on ${a.auto.n} audit items`);
  if (typeof a.audit_accuracy === "number") text.push(`model on the blind audit sample: ${pct(a.audit_accuracy)} (${a.n_audit} items)`);
  if (!text.length) text.push("No finished round yet: run one (admin › Rounds) to estimate accuracy.");
  $("accuracy").replaceChildren(...text.map((t) => el("p", { text: t })));
  const acc = [];
  if (a.auto) acc.push({ label: "auto", value: a.auto.estimate, low: a.auto.lower, high: a.auto.upper ?? a.auto.estimate });
  if (typeof a.audit_accuracy === "number") acc.push({ label: "audit sample", value: a.audit_accuracy });
  if (acc.length) bars($("accuracy-chart"), acc, { max: 1, format: (v) => pct(v) });
  else $("accuracy-chart").replaceChildren();

  lines($("curve-chart"), s.curve.map((p) => ({ x: p.n_human ?? p.round, auto: p.auto_estimate, audit: p.audit_accuracy })),
    [{ key: "auto", name: "auto-accepted labels" }, { key: "audit", name: "model on the audit" }],
    { xLabel: "people's answers", yLabel: "accuracy", format: (v) => pct(v, 0) });

  table($("people"), ["person", "answers", "review · audit · crowd", "accuracy vs gold", "interval", "checked", "time per item", "skips"],
    s.people.map((p) => [p.user, String(p.answers), `${p.review} · ${p.audit} · ${p.crowd}`, pct(p.accuracy), p.checked ? `[${pct(p.lower, 0)}, ${pct(p.upper, 0)}]` : "–", String(p.checked), seconds(p.median_seconds), String(p.skips)]),
    { empty: "Nobody answered yet." });

  const h = s.heatmap ?? { people: [], cells: {}, worst: [], pairs: 0 };
  $("pairs-summary").textContent = h.pairs ? `${h.pairs} pairs of people labeled items in common; the ${Math.min(10, h.pairs)} that agree least:` : "No two people labeled the same items yet (crowd mode gives items to several people).";
  table($("pairs"), ["people", "shared items", "κ", "agree"], (h.worst ?? []).map((p) => [p.users.join(" · "), String(p.shared), fmt(p.kappa, 2), pct(p.agreement)]), { empty: "–" });
  if (h.people.length > 1) heatmap($("heatmap"), h.people, h.cells);
  else $("heatmap").replaceChildren();

  if (cfg.admin) {
    const rules = await api("GET", "/api/rules");
    table($("rules"), ["rule", "version", "active", "votes", "coverage"], rules.map((r) => [r.name, r.version.slice(0, 10), r.active ? "yes" : "no", r.votes.toLocaleString(), pct(r.coverage)]), { empty: "No rules yet." });
  }
  $("updated").textContent = "Updated " + new Date().toLocaleTimeString();
  document.body.dataset.answers = String(s.answers);
}

async function loop() {
  try {
    await refresh();
  } catch (err) {
    $("updated").textContent = "Could not update: " + err.message;
  }
  setTimeout(loop, 5000);
}
loop();
