// Errors in plain words: what happened, and what to do about it (docs/api.md's tables, shortened).

const REFUSALS = {
  invalid_byok_headers: "Check the provider and the key.",
  byok_required: "This environment has no free tier: choose a provider and enter your own key.",
  invalid_json: "The request body is not a JSON object.",
  validation_error: "Fix the fields named below and submit again.",
  payload_too_large: "The input is too long: shorten it.",
  job_not_found: "The job is gone (jobs are kept for 24 hours) or the id is wrong.",
  system_budget_exhausted: "The service's free jobs for today are used up: use your own key, or try tomorrow.",
  INVALID_API_KEY: "The page's X-API-Key was refused: is LOCAL_API_KEY the key this page was served with?",
  THROTTLED: "Too many requests at once: wait a moment and try again.",
  QUOTA_EXCEEDED: "The API key's daily quota is used up.",
};

const JOB_HINTS = {
  invalid_api_key: "Check your key (Test key tells you at once), then submit again.",
  insufficient_quota: "Add credit with the provider, or use another key.",
  rate_limited: "Wait a minute, then submit again.",
  provider_unavailable: "Try again later, or switch provider.",
  timeout: "Try again later; shorter input helps.",
  content_blocked: "Change the text: the same again will be declined again.",
  output_truncated: "Shorten the input.",
  model_not_found: "Use a key whose account can use the model, or the other provider.",
  configuration_error: "Use your own key, or tell the operators.",
};

/** A refused request (any non-2xx answer) as sentences. */
export function refusalText(status, body) {
  const error = (body && body.error) || {};
  const parts = [`The service refused the request (${status}${error.code ? ` ${error.code}` : ""}).`];
  if (error.message) parts.push(error.message);
  if (body && body.detail && body.detail !== error.message) parts.push(body.detail);
  if (REFUSALS[error.code]) parts.push(REFUSALS[error.code]);
  for (const field of (body && body.fields) || []) parts.push(`- ${field.field}: ${field.message}`);
  return parts.join("\n");
}

export const describeRefusal = refusalText;

/** A failed job's error as sentences. */
export function describeJobError(error) {
  const code = (error && error.code) || "internal_error";
  const message = (error && error.message) || "The job failed.";
  return [`The job failed (${code}).`, message, JOB_HINTS[code] || "Submit it again; report it if it persists."].join("\n");
}

/** The API did not answer at all (down, wrong address, or this page's origin not allowed). */
export function unreachable(url) {
  return (
    `Could not reach the API at ${url}. Is the local stack running (make run)? ` +
    "If it is, this page's address must be one the environment's CORS settings allow."
  );
}
