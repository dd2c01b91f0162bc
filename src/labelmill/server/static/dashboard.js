// The dashboard: progress, accuracy with intervals, learning curve, agreement, rules.
import { api, config, el, fmt, table } from "./api.js";
import { bars, lines } from "./charts.js";

const cfg = config();
const $ = (id) => document.getElementById(id);
const pct = (v) => (typeof v === "number" ? (100 * v).toFixed(1) + "%" : "–");

async function refresh() {
  const s = await api("GET", "/api/stats");
  $("n-items").textContent = String(s.items);
  $("n-answers").textContent = String(s.answers);
  $("n-leased").textContent = String(s.leased);
  const statuses = Object.entries(s.by_status);
  table($("by-status"), ["status", "items", "share"], statuses.map(([k, v]) => [k, String(v), pct(s.items ? v / s.items : 0)]));
  bars($("status-chart"), statuses.map(([k, v]) => ({ label: k, value: v })));

  const a = s.accuracy;
  const lines_ = [];
  if (a.guarantee) lines_.push(a.guarantee);
  if (a.auto) lines_.push(`auto-accepted labels: ${pct(a.auto.estimate)} [${pct(a.auto.lower)}, ${pct(a.auto.upper)}] on ${a.auto.n} audit items`);
  if (typeof a.audit_accuracy === "number") lines_.push(`model on the blind audit sample: ${pct(a.audit_accuracy)} (${a.n_audit} items)`);
  if (!lines_.length) lines_.push("No finished round yet: run one (admin › Rounds) to estimate accuracy.");
  $("accuracy").replaceChildren(...lines_.map((t) => el("p", { text: t })));
  const acc = [];
  if (a.auto) acc.push({ label: "auto", value: a.auto.estimate, low: a.auto.lower, high: a.auto.upper });
  if (typeof a.audit_accuracy === "number") acc.push({ label: "audit sample", value: a.audit_accuracy });
  if (acc.length) bars($("accuracy-chart"), acc, { max: 1, format: pct });
  else $("accuracy-chart").replaceChildren();

  lines($("curve-chart"), s.curve.map((p) => ({ x: p.n_human ?? p.round, auto: p.auto_estimate, audit: p.audit_accuracy })),
    [{ key: "auto", name: "auto-accept accuracy" }, { key: "audit", name: "audit accuracy" }]);

  table($("per-user"), ["user", "answers", "vs gold"], s.agreement.users.map((u) => [u.user, String(u.answers), u.gold_checked ? `${pct(u.gold_accuracy)} of ${u.gold_checked}` : "–"]));
  table($("pairs"), ["users", "shared", "κ", "agree"], s.agreement.pairs.map((p) => [p.users.join(" · "), String(p.shared), fmt(p.kappa, 2), pct(p.agreement)]));
  bars($("kappa-chart"), s.agreement.pairs.slice(0, 12).map((p) => ({ label: p.users.join("·"), value: p.kappa ?? 0 })), { max: 1, format: (v) => v.toFixed(2) });

  if (cfg.admin) {
    const rules = await api("GET", "/api/rules");
    table($("rules"), ["rule", "version", "active", "votes", "coverage"], rules.map((r) => [r.name, r.version, r.active ? "yes" : "no", String(r.votes), pct(r.coverage)]));
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
