// Start a labeling round and follow it; progress comes from the rounds table, so a reload keeps it.
import { api, table } from "./api.js";

const $ = (id) => document.getElementById(id);
let timer = null;

async function load() {
  const r = await api("GET", "/api/runs");
  $("start").disabled = !r.available || r.running;
  const job = r.job ?? {};
  const latest = r.rounds[0];
  let text = r.available ? "" : "This labelmill version cannot run rounds from the browser yet; use: labelmill run PROJECT.";
  if (latest && latest.status === "running") text = `Round ${latest.id} running: stage ${latest.stage ?? "…"}`;
  else if (job.state === "failed") text = `The last round failed: ${job.error}`;
  else if (latest) text = `Round ${latest.id} ${latest.status}` + (latest.error ? `: ${latest.error}` : "");
  $("job").textContent = text;
  table($("rounds"), ["round", "status", "stage", "started", "finished", "threshold", "summary"], r.rounds.map((x) => [
    String(x.id), x.status, x.stage ?? "", x.started_at ?? "", x.finished_at ?? "", x.threshold == null ? "–" : String(x.threshold), (x.summary ?? []).join(" · "),
  ]));
  const active = r.running || (latest && latest.status === "running");
  clearTimeout(timer);
  timer = setTimeout(() => load().catch(() => {}), active ? 1000 : 5000);
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
  }
});
load().catch((e) => { $("job").textContent = e.message; });
