// The playground: pick a job type, fill or load its request, optionally bring a provider key (held in
// this module's memory and the password field only: never localStorage, sessionStorage, a cookie or
// the URL), test the key, submit, watch the job, read the result. Calls the API like the frontend.
import { buildForm, jobTypes } from "./form.js";
import { renderResult } from "./render.js";
import { describeJobError, describeRefusal, unreachable } from "./words.js";

const $ = (id) => document.getElementById(id);
const FINAL = new Set(["succeeded", "failed", "cancelled"]);
const state = { config: null, samples: null, types: [], form: null, job: null };

async function api(method, path, { body, byok } = {}) {
  const headers = { "X-API-Key": state.config.api_key };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (byok) Object.assign(headers, byok);
  let response;
  try {
    response = await fetch(state.config.api_url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new Error(unreachable(state.config.api_url));
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status, json };
}

function show(id, text) {
  const box = $(id);
  box.textContent = text || "";
  box.hidden = !text;
}

/** The BYOK headers, or null for the service's key; throws a plain sentence when half set. */
function byokHeaders() {
  const provider = $("provider").value;
  const key = $("user-key").value.trim();
  if (!provider && !key) return null;
  if (!provider) throw new Error("Choose the provider your key is for, or clear the key.");
  if (!key) throw new Error(`Enter your ${provider} key, or choose "none" as the provider.`);
  return { "X-User-Provider": provider, "X-User-Api-Key": key };
}

function selectedType() {
  return state.types.find((type) => type.path === $("job-type").value);
}

function chooseType() {
  const type = selectedType();
  $("job-summary").textContent = type.summary;
  state.form = buildForm(state.doc, type.schema, $("fields"));
  $("cv-sample").disabled = !["cv_text", "user_cv_text"].some((name) => state.form.has(name));
  $("jd-sample").disabled = !state.form.has("job_description");
}

function fillSample(select, kind) {
  const sample = state.samples.samples.find((entry) => entry.name === select.value);
  select.value = "";
  if (!sample) return;
  const names = kind === "cv" ? ["cv_text", "user_cv_text"] : ["job_description"];
  for (const name of names) state.form.set(name, sample.text);
}

async function testKey() {
  const box = $("key-result");
  let byok;
  try {
    byok = byokHeaders();
  } catch (error) {
    box.textContent = error.message;
    return;
  }
  if (!byok) {
    box.textContent = "Enter a provider and a key to test.";
    return;
  }
  box.textContent = "Asking the provider...";
  try {
    const { status, json } = await api("POST", "/ai/keys/test", { byok });
    if (status !== 200) {
      box.textContent = describeRefusal(status, json);
      return;
    }
    const models = (json.valid === false ? [] : json.models).map((m) => `${m.model}: ${m.available === null ? "unknown" : m.available ? "available" : "not available"}`);
    box.dataset.valid = String(json.valid);
    box.textContent = `${json.valid ? "Key accepted." : json.valid === false ? "Key refused." : "Key not checked."} ${json.message} ${models.length ? `(${models.join("; ")})` : ""}`;
  } catch (error) {
    box.textContent = error.message;
  }
}

async function submit() {
  show("request-error", "");
  let body;
  let byok;
  try {
    body = state.form.body();
    byok = byokHeaders();
  } catch (error) {
    show("request-error", error.message);
    return;
  }
  const type = selectedType();
  $("submit").disabled = true;
  try {
    const { status, json } = await api("POST", `/ai/jobs/${type.path}`, { body, byok });
    if (status !== 202) {
      show("request-error", describeRefusal(status, json));
      return;
    }
    watch(json.job_id, type.name);
  } catch (error) {
    show("request-error", error.message);
  } finally {
    $("submit").disabled = false;
  }
}

function watch(jobId, jobType) {
  if (state.job) state.job.stop();
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  const job = { id: jobId, type: jobType, status: null, stopped: false, stop() { this.stopped = true; clearInterval(ticker); } };
  state.job = job;
  $("job-empty").hidden = true;
  $("job-view").hidden = false;
  $("timeline").replaceChildren();
  $("result").replaceChildren();
  $("raw").open = false;
  show("job-error", "");
  const ticker = setInterval(() => { $("elapsed").textContent = `${seconds()} s`; }, 100);
  let delay = 400;
  const poll = async () => {
    if (job.stopped) return;
    let reply;
    try {
      reply = await api("GET", `/ai/jobs/${jobId}`);
    } catch (error) {
      show("job-error", error.message);
      reply = null;
    }
    if (reply && reply.status !== 200) {
      show("job-error", describeRefusal(reply.status, reply.json));
      job.stop();
      return;
    }
    if (reply) update(job, reply.json, seconds());
    if (job.stopped) return;
    setTimeout(poll, delay);
    delay = Math.min(delay * 1.5, 3000);
  };
  poll();
}

function update(job, view, at) {
  $("raw-json").textContent = JSON.stringify(view, null, 2);
  if (view.status !== job.status) {
    job.status = view.status;
    $("timeline").append(Object.assign(document.createElement("li"), { textContent: `${view.status} at ${at} s` }));
  }
  const status = $("status");
  status.textContent = view.status;
  status.dataset.status = view.status;
  const facts = [
    ["job", `${view.job_type} ${view.job_id}`],
    ["runs with", `${view.provider} (${view.credential === "user" ? "your key" : "the service's key"})`],
    ["model", view.model],
    ["attempts", view.attempts],
    ["retry", retryText(view.retry)],
  ];
  $("job-facts").replaceChildren(
    ...facts.filter(([, value]) => value !== undefined && value !== null && value !== "")
      .flatMap(([name, value]) => [Object.assign(document.createElement("dt"), { textContent: name }), Object.assign(document.createElement("dd"), { textContent: String(value) })]),
  );
  $("cancel").disabled = FINAL.has(view.status);
  if (!FINAL.has(view.status)) return;
  job.stop();
  $("elapsed").textContent = `finished in ${at} s`;
  if (view.status === "succeeded") $("result").replaceChildren(renderResult(view.job_type, view.result));
  else if (view.status === "failed") show("job-error", describeJobError(view.error));
  else show("job-error", "The job was cancelled: no result will be written.");
}

/** GET's `retry` ({code, attempt, max_attempts, next_attempt_at}) while a job waits for another try. */
function retryText(retry) {
  if (!retry) return null;
  if (typeof retry !== "object") return String(retry);
  if (!retry.code) return Object.entries(retry).map(([k, v]) => `${k}: ${v}`).join(", ");
  // `attempt` is the one to come.
  const when = retry.next_attempt_at ? ` at ${new Date(retry.next_attempt_at).toLocaleTimeString()}` : "";
  return `after ${retry.code}: attempt ${retry.attempt ?? "?"} of ${retry.max_attempts ?? "?"} comes${when}`;
}

async function cancel() {
  if (!state.job) return;
  try {
    const { status, json } = await api("DELETE", `/ai/jobs/${state.job.id}`);
    if (status !== 200) show("job-error", describeRefusal(status, json));
  } catch (error) {
    show("job-error", error.message);
  }
}

function options(select, entries, placeholder) {
  select.replaceChildren(new Option(placeholder, ""), ...entries.map(([value, label]) => new Option(label, value)));
}

async function start() {
  state.config = await (await fetch("config.json", { cache: "no-store" })).json();
  state.samples = await (await fetch("samples.json")).json();
  const faked = state.config.providers === "fake" ? "FAKE providers (FAKE_LLM=1): no real model is called" : "real providers";
  $("where").textContent = `API ${state.config.api_url} - environment ${state.config.environment} - ${faked}`;
  const { status, json } = await api("GET", "/ai/openapi.json");
  if (status !== 200) throw new Error(describeRefusal(status, json));
  state.doc = json;
  state.types = jobTypes(json);
  $("job-type").replaceChildren(...state.types.map((type) => new Option(`${type.name} - ${type.summary}`, type.path)));
  const named = (kind) => state.samples.samples.filter((s) => s.kind === kind).map((s) => [s.name, s.name]);
  options($("cv-sample"), named("cv"), "choose a sample CV...");
  options($("jd-sample"), named("job_description"), "choose a sample job description...");
  chooseType();
  $("job-type").addEventListener("change", chooseType);
  $("load-example").addEventListener("click", () => state.form.fill(state.samples.examples[selectedType().path] || {}));
  $("cv-sample").addEventListener("change", (event) => fillSample(event.target, "cv"));
  $("jd-sample").addEventListener("change", (event) => fillSample(event.target, "job_description"));
  $("test-key").addEventListener("click", testKey);
  $("submit").addEventListener("click", submit);
  $("cancel").addEventListener("click", cancel);
  document.body.dataset.ready = "true";
}

start().catch((error) => {
  show("page-error", error.message);
  document.body.dataset.ready = "error";
});
