// The request form of one job type, built from the API's own OpenAPI document (GET /ai/openapi.json):
// one input per property of the job's request schema. Text fields are text areas, enums are
// selects, objects and lists are JSON text areas. Nothing here stores anything.

/** The job types the document offers: [{path, name, summary, schema}] in the document's order. */
export function jobTypes(doc) {
  return Object.entries(doc.paths)
    .filter(([, item]) => item.post && item.post["x-job-type"])
    .map(([url, item]) => ({
      path: url.split("/").pop(),
      name: item.post["x-job-type"],
      summary: item.post.summary,
      schema: resolve(doc, item.post.requestBody.content["application/json"].schema),
    }));
}

function resolve(doc, schema) {
  if (schema && schema.$ref) {
    return resolve(doc, doc.components.schemas[schema.$ref.split("/").pop()]);
  }
  return schema;
}

/** A property's input kind: {kind: "text" | "enum" | "json", nullable, options, maxLength}. */
function kindOf(doc, property) {
  let schema = resolve(doc, property);
  let nullable = false;
  const branches = schema.anyOf || schema.oneOf;
  if (branches) {
    const others = branches.filter((branch) => branch.type !== "null");
    nullable = others.length < branches.length;
    schema = resolve(doc, others[0]);
  }
  if (schema.enum) return { kind: "enum", nullable, options: schema.enum };
  if (schema.type === "string") return { kind: "text", nullable, maxLength: schema.maxLength || 0 };
  return { kind: "json", nullable };
}

/** Replaces `container`'s content with the fields of `schema`; returns the form's handle. */
export function buildForm(doc, schema, container) {
  container.replaceChildren();
  const required = new Set(schema.required || []);
  const fields = Object.entries(schema.properties).map(([name, property]) => {
    const kind = kindOf(doc, property);
    const label = document.createElement("label");
    label.className = "field";
    const caption = document.createElement("span");
    caption.textContent = required.has(name) ? `${name} (required)` : name;
    let input;
    if (kind.kind === "enum") {
      input = document.createElement("select");
      const choices = required.has(name) ? kind.options : ["", ...kind.options];
      for (const value of choices) {
        const option = document.createElement("option");
        option.value = value;
        option.textContent = value === "" ? "(not set)" : value;
        input.append(option);
      }
      if (property.default) input.value = property.default;
    } else {
      input = document.createElement("textarea");
      input.spellcheck = false;
      input.rows = kind.kind === "json" ? 8 : kind.maxLength > 20000 ? 9 : kind.maxLength > 200 ? 4 : 1;
      if (kind.kind === "json") input.placeholder = "JSON";
    }
    input.name = name;
    input.dataset.testid = `field-${name}`;
    label.append(caption, input);
    container.append(label);
    return { name, kind: kind.kind, required: required.has(name), input };
  });
  return {
    names: fields.map((field) => field.name),
    has: (name) => fields.some((field) => field.name === name),
    /** Sets the fields from a request body (the example, or what a sample fills in). */
    fill(body) {
      for (const field of fields) {
        if (!(field.name in body)) continue;
        const value = body[field.name];
        field.input.value =
          field.kind === "json" ? JSON.stringify(value, null, 2) : value === null ? "" : String(value);
      }
    },
    set(name, text) {
      const field = fields.find((candidate) => candidate.name === name);
      if (field) field.input.value = text;
    },
    /** The request body; throws an Error with a plain sentence when a JSON field does not parse. */
    body() {
      const body = {};
      for (const field of fields) {
        const text = field.input.value;
        if (text.trim() === "") continue; // the service says which required field is missing
        if (field.kind !== "json") {
          body[field.name] = text;
          continue;
        }
        try {
          body[field.name] = JSON.parse(text);
        } catch {
          throw new Error(`${field.name} is not valid JSON: fix it, or load the example request.`);
        }
      }
      return body;
    },
  };
}
