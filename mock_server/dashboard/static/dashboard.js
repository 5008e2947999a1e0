// idcard-mock dashboard: polls the Requests rows, and sends the Control view's actions to the
// admin surface (/_mock/...). No framework, no build step.
"use strict";

function pollRequests(body) {
  const source = body.dataset.source;
  const seconds = Number(body.dataset.poll) || 2;
  const live = document.getElementById("live");
  let shown = body.innerHTML;
  async function refresh() {
    if (live && !live.checked) return;
    try {
      const response = await fetch(source, {headers: {Accept: "text/html"}, cache: "no-store"});
      if (!response.ok) return;
      const rows = await response.text();
      if (rows !== shown) {
        body.innerHTML = rows;
        shown = body.innerHTML;
      }
    } catch (error) {
      // The server went away or restarted: try again at the next tick.
    }
  }
  setInterval(refresh, seconds * 1000);
}

function formBody(form) {
  const body = {};
  for (const field of form.elements) {
    if (!field.name || field.value === "") continue;
    body[field.name] = field.type === "number" ? Number(field.value) : field.value;
  }
  return body;
}

function say(text, failed) {
  const outcome = document.getElementById("outcome");
  if (!outcome) return;
  outcome.textContent = text;
  outcome.classList.toggle("failed", failed);
}

async function act(element, body) {
  if (element.dataset.confirm && !window.confirm(element.dataset.confirm)) return;
  const options = {method: element.dataset.method, headers: {Accept: "application/json"}};
  if (body) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let answer = {};
  let response;
  try {
    response = await fetch(element.dataset.url, options);
    answer = await response.json();
  } catch (error) {
    say("✗ The mock did not answer: " + error, true);
    return;
  }
  if (!response.ok) {
    say("✗ " + (answer.error || response.status), true);
    return;
  }
  sessionStorage.setItem("idcard-mock-outcome", "✓ Done: " + element.dataset.method + " " + element.dataset.url);
  window.location.reload();
}

document.addEventListener("DOMContentLoaded", () => {
  const rows = document.getElementById("request-rows");
  if (rows) pollRequests(rows);
  const done = sessionStorage.getItem("idcard-mock-outcome");
  if (done) {
    sessionStorage.removeItem("idcard-mock-outcome");
    say(done, false);
  }
  for (const form of document.querySelectorAll("form.action")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(form, formBody(form));
    });
  }
  for (const button of document.querySelectorAll("button.action")) {
    button.addEventListener("click", () => act(button, null));
  }
});
