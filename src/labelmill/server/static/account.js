// Your account: change your password, make and revoke API keys.
import { api, el, say, table, when } from "./api.js";

const $ = (id) => document.getElementById(id);

async function loadKeys() {
  const keys = await api("GET", "/api/me/keys");
  table($("keys"), ["name", "made", "last used", "state", ""], keys.map((k) => {
    const revoke = k.revoked ? "" : el("button", { type: "button", class: "danger", text: "Revoke", "data-key": k.id });
    if (revoke) revoke.addEventListener("click", async () => {
      try {
        await api("DELETE", `/api/me/keys/${encodeURIComponent(k.id)}`);
        say($("key-message"), `Revoked the key '${k.name}'.`);
        await loadKeys();
      } catch (err) { say($("key-message"), err.message, true); }
    });
    return [k.name, when(k.created_at), when(k.last_used_at), k.revoked ? "revoked" : "active", revoke];
  }), { empty: "No API keys." });
}

$("password").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  if (form.get("new") !== form.get("again")) {
    say($("password-message"), "The two new passwords differ; type them again.", true);
    return;
  }
  try {
    await api("POST", "/api/me/password", { current: form.get("current"), new: form.get("new") });
    event.target.reset();
    say($("password-message"), "Password changed. Your other sessions and tokens have ended.");
  } catch (err) { say($("password-message"), err.message, true); }
});

$("new-key").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const made = await api("POST", "/api/me/keys", { name: form.get("name") });
    $("key-value").textContent = made.key;
    $("key-shown").hidden = false;
    event.target.reset();
    say($("key-message"), `Made the key '${made.name}'.`);
    await loadKeys();
  } catch (err) { say($("key-message"), err.message, true); }
});
loadKeys().catch((err) => say($("key-message"), err.message, true));
