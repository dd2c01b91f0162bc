// Start a labeling round and follow it; progress comes from the rounds table, so a reload keeps it.
import { api, el, table, when } from "./api.js";

const $ = (id) => document.getElementById(id);
let timer = null;

function duration(a, b) {
  if (!a) return "–";
  const s = ((b ? new Date(b + (/[zZ]|[+-]\d\d:?\d\d$/.test(b) ? "" : "Z")) : new Date()) - new Date(a + (/[zZ]|[+-]\d\d:?\d\d$/.test(a) ? "" : "Z"))) / 1000;
  return s < 90 ? `${Math.max(0, s).toFixed(0)} s` : `${(s / 60).toFixed(1)} min`;
}

async function load() {
  const r = await api("GET", "/api/runs");
  const latest = r.rounds[0];
  const running = r.running || (latest && latest.status === "running");
  $("start").disabled = running;
  let text = "";
  const starting = r.running && !(latest && latest.status === "running");
  if (starting) text = "A round is starting…";
  else if (latest && latest.status === "running") text = `Round ${latest.id} running: stage ${latest.stage ?? "…"} (${duration(latest.started_at)} so far).`;
  else if (latest) text = `Round ${latest.id} ${latest.status}` + (latest.error ? `: ${latest.error}` : ".");
  else text = "No round yet.";
  $("job").textContent = text;
  $("job").classList.toggle("error", !!latest && latest.status === "failed");
  table($("rounds"), ["round", "status", "stage", "started", "took", "threshold", "summary or error"], r.rounds.map((x) => [
    String(x.id), el("span", { class: x.status === "failed" ? "error" : "", text: x.status }), x.stage ?? "", when(x.started_at), x.status === "running" ? duration(x.started_at) + "…" : duration(x.started_at, x.finished_at),
    x.threshold == null ? "–" : x.threshold.toFixed(3), x.error ? el("span", { class: "error", text: x.error }) : (x.summary ?? []).join(" · "),
  ]), { empty: "No round yet." });
  document.body.dataset.latest = starting ? "starting" : latest ? `${latest.id}:${latest.status}` : "";
  clearTimeout(timer);
  timer = setTimeout(() => load().catch(() => {}), running ? 1000 : 5000);
}

$("start-round").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    await api("POST", "/api/runs", { target_accuracy: Number(form.get("target_accuracy")), confidence: Number(form.get("confidence")) });
    $("job").textContent = "Round started…";
    await load();
  } catch (e) {
    $("job").textContent = e.message;
    $("job").classList.add("error");
  }
});
load().catch((e) => { $("job").textContent = e.message; });
