// Readable views of a job's result: CVData as a CV, evaluations as scores, the other results as
// what they are. Every value is set as text (never as HTML): results carry model output.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function section(title, ...children) {
  const box = el("section", "result-section");
  box.append(el("h3", null, title), ...children.filter(Boolean));
  return box;
}

function list(items, className) {
  const ul = el("ul", className);
  for (const item of items || []) if (item) ul.append(el("li", null, item));
  return ul;
}

function dates(start, end) {
  return [start, end].filter(Boolean).join(" - ");
}

function line(...parts) {
  return parts.filter(Boolean).join(" | ");
}

/** CVData (extract, tailor) as a CV. */
export function renderCv(cv) {
  const root = el("article", "cv");
  const person = cv.personal || {};
  root.append(el("h3", "cv-name", person.name || "(no name)"));
  const contact = line(person.email, person.phone, person.location, person.website, person.linkedin, person.github);
  if (contact) root.append(el("p", "cv-contact", contact));
  if (cv.target_job && (cv.target_job.title || cv.target_job.company)) {
    root.append(el("p", "cv-target", `Aimed at: ${line(cv.target_job.title, cv.target_job.company)}`));
  }
  if (cv.professional_summary) root.append(section("Summary", el("p", null, cv.professional_summary)));
  if ((cv.experience || []).length) {
    root.append(
      section(
        "Experience",
        ...cv.experience.map((job) => {
          const entry = el("div", "cv-entry");
          entry.append(
            el("p", "cv-entry-title", line(job.role, job.company)),
            el("p", "cv-entry-meta", line(dates(job.startDate, job.endDate), job.location)),
          );
          if (job.description) entry.append(el("p", null, job.description));
          entry.append(list(job.achievements));
          return entry;
        }),
      ),
    );
  }
  if ((cv.education || []).length) {
    const rows = cv.education.map((school) => {
      const degree = [school.degree, school.field].filter(Boolean).join(", ");
      return line([degree, school.institution].filter(Boolean).join(" - "), dates(school.startDate, school.endDate), school.gpa && `GPA ${school.gpa}`);
    });
    root.append(section("Education", list(rows)));
  }
  if ((cv.projects || []).length) {
    const rows = cv.projects.map((project) => {
      const tech = (project.tech_stack || []).join(", ");
      return line([project.name, project.description].filter(Boolean).join(": "), tech, project.link, dates(project.startDate, project.endDate));
    });
    root.append(section("Projects", list(rows)));
  }
  const skills = cv.skills || {};
  const chips = [...(skills.technical || []), ...(skills.soft || []), ...(skills.languages || [])];
  if (chips.length) root.append(section("Skills", list(chips, "chips")));
  if ((cv.licenses_certifications || []).length) {
    const rows = cv.licenses_certifications.map((cert) => line(cert.name, cert.issuer, dates(cert.date, cert.expiry)));
    root.append(section("Licenses and certifications", list(rows)));
  }
  const committee = cv.analysis && cv.analysis.committee_evaluation;
  if (committee) root.append(section("The committee's view of this CV", renderEvaluation(committee)));
  return root;
}

function bar(value, max) {
  const outer = el("div", "bar");
  const inner = el("div", "bar-fill");
  inner.style.width = `${Math.max(0, Math.min(100, (100 * value) / max))}%`;
  outer.append(inner);
  return outer;
}

/** An evaluate result: one card per persona, its score as a bar, and the average. */
export function renderEvaluation(result) {
  const root = el("div", "evaluation");
  const average = el("p", "average");
  average.append(el("strong", null, `${result.average_score} / 10`), el("span", null, " average"));
  root.append(average);
  for (const review of result.individual_evaluations || []) {
    const card = el("div", "card");
    card.append(el("p", "card-title", `${review.persona}: ${review.score} / 10`), bar(review.score, 10));
    card.append(el("p", "label", "Strengths"), list(review.strengths));
    card.append(el("p", "label", "To improve"), list(review.improvements));
    card.append(el("p", "reasoning", review.reasoning));
    root.append(card);
  }
  return root;
}

function pair(title, text) {
  const box = el("div", "card");
  box.append(el("p", "label", title), el("p", "text", text));
  return box;
}

const RENDERERS = {
  extract: renderCv,
  tailor: renderCv,
  evaluate: renderEvaluation,
  rephrase: (r) => wrap(pair(`Original (${r.section_type})`, r.original_content), pair("Rephrased", r.rephrased_content)),
  recommend: (r) => {
    const head = el("div", "card");
    head.append(el("p", "card-title", `Template: ${r.recommended_template} (confidence ${r.confidence_score} / 100)`));
    head.append(bar(r.confidence_score, 100), el("p", null, r.reasoning), el("p", "hint", r.format_explanation));
    const others = (r.alternatives || []).map((alt) => `${alt.template}: ${alt.reason}`);
    return wrap(head, others.length ? section("Alternatives", list(others)) : null);
  },
  inject_keyword: (r) =>
    r.requires_context
      ? pair("Needs context", "The section gives no honest basis for the keyword: ask the user for facts and run elaborate.")
      : pair("With the keyword", r.rephrased_content),
  elaborate: (r) => pair("Elaborated", r.rephrased_content),
  improve_from_feedback: (r) =>
    wrap(
      pair(`Improved ${r.improvement_type} for ${r.suggested_section}`, r.improved_content),
      el("p", "hint", `Entries: ${(r.target_indices || []).join(", ") || "none"}`),
    ),
};

function wrap(...children) {
  const root = el("div");
  root.append(...children.filter(Boolean));
  return root;
}

/** A readable view of `result` for `jobType`; an unknown type gets its fields listed. */
export function renderResult(jobType, result) {
  const renderer = RENDERERS[jobType];
  if (renderer) return renderer(result);
  return wrap(...Object.entries(result).map(([name, value]) => pair(name, JSON.stringify(value))));
}
