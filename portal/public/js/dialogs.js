// @ts-check
// Modal form dialogs: native <dialog> (focus stays inside, Esc closes), server field errors shown
// next to their fields, and the If-Match conflict handled without losing what was typed.

import { h, clear } from "./dom.js";
import { t, fieldLabel, detailMessage, errorMessage } from "./i18n.js";
import { ApiError } from "./api.js";

let nextId = 0;

/** A labelled form control whose errors are announced; `name` is the API's field name. */
export function field({ name, label, type = "text", value = "", options = null, required = false, multiline = false, attrs = {} }) {
  const id = `f${++nextId}`;
  const errorId = `${id}-error`;
  let control;
  if (options) {
    control = h("select", { id, name }, ...options.map(([optionValue, text]) => h("option", { value: optionValue }, text)));
    control.value = value ?? "";
  } else if (multiline) {
    control = h("textarea", { id, name, rows: 3, value: value ?? "" });
  } else {
    control = h("input", { id, name, type, value: value ?? "", attrs });
  }
  control.setAttribute("aria-describedby", errorId);
  if (required) control.setAttribute("aria-required", "true");
  return h(
    "div",
    { className: "field", dataset: { field: name } },
    h("label", { htmlFor: id }, label, required ? h("span", { className: "required", attrs: { "aria-hidden": "true" } }, " *") : null),
    control,
    h("p", { className: "field-error", id: errorId, hidden: true }),
  );
}

/**
 * Open a form dialog.
 * - build(form): adds the fields;
 * - collect(form): the request body;
 * - send(body): the API call (it reads the lead's current ETag itself);
 * - reload(): fetch the lead again after a conflict (new ETag), without touching the dialog; resolves
 *   to the lead as it is now;
 * - onConflict(fresh, form): after a 412 or 409 and the reload, what to tell the user
 *   (`{ message, final }`; `final`: the action is no longer possible, submitting again is off);
 * - done(result): after success, once the dialog is closed.
 */
export function formDialog({ title, submitLabel, build, collect, send, reload, onConflict, done }) {
  const headingId = `d${++nextId}`;
  const message = h("div", { className: "dialog-message", attrs: { role: "alert" }, hidden: true });
  const submit = h("button", { type: "submit" }, submitLabel || t("save"));
  const form = h("form", { attrs: { novalidate: true, method: "dialog" } });
  const dialog = h(
    "dialog",
    { className: "form-dialog", attrs: { "aria-labelledby": headingId } },
    h("h2", { id: headingId }, title),
    message,
    form,
  );
  build(form);
  form.append(
    h(
      "div",
      { className: "dialog-buttons" },
      submit,
      h("button", { type: "button", className: "secondary", on: { click: () => dialog.close() } }, t("cancel")),
    ),
  );

  const showMessage = (text, kind = "error") => {
    message.textContent = text;
    message.className = `dialog-message ${kind}`;
    message.hidden = !text;
  };
  const clearErrors = () => {
    showMessage("");
    for (const slot of form.querySelectorAll(".field-error")) {
      slot.hidden = true;
      slot.textContent = "";
    }
    for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  };
  const showFieldErrors = (details) => {
    const unplaced = [];
    let first = null;
    for (const detail of details) {
      const container = form.querySelector(`[data-field="${CSS.escape(detail.field)}"]`);
      // Worded from the catalog by the detail's code: the API's own message is English.
      const text = detailMessage(detail);
      if (!container) {
        unplaced.push(t("fieldError", { field: fieldLabel(detail.field), message: text }));
        continue;
      }
      const slot = container.querySelector(".field-error");
      slot.textContent = slot.textContent ? `${slot.textContent} ${text}` : text;
      slot.hidden = false;
      const control = container.querySelector("input, select, textarea");
      control?.setAttribute("aria-invalid", "true");
      first ??= control;
    }
    showMessage([t("fixErrors"), ...unplaced].join(" "));
    first?.focus();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    submit.disabled = true;
    let final = false;
    try {
      const result = await send(collect(form));
      dialog.close();
      done?.(result);
    } catch (error) {
      if (!(error instanceof ApiError)) {
        showMessage(errorMessage(error));
      } else if (error.status === 400 && error.details.length) {
        showFieldErrors(error.details);
      } else if (error.status === 412 || error.status === 409) {
        // Someone else saved first: take their version (and its ETag) and say what they did; the
        // typed values stay put.
        const fresh = await reload?.();
        const outcome = (fresh && onConflict?.(fresh, form)) || { message: t(error.status === 412 ? "conflict" : "invalidTransition") };
        showMessage(outcome.message, "warning");
        final = Boolean(outcome.final);
      } else {
        showMessage(errorMessage(error));
      }
    } finally {
      submit.disabled = final;
    }
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Inline editor of team members (accept dialog): rows of name, email, phone with add and remove. */
export function teamEditor() {
  const list = h("div", { className: "team-rows" });
  const rows = [];
  const renumber = () => {
    rows.forEach((row, index) => {
      for (const part of ["name", "email", "phone"]) row.querySelector(`[data-part="${part}"]`).dataset.field = `team.${index}.${part}`;
      row.querySelector("legend").textContent = t("teamMember", { n: index + 1 });
    });
  };
  const add = () => {
    const name = field({ name: "memberName", label: t("memberName"), required: true });
    const email = field({ name: "memberEmail", label: t("memberEmail"), type: "email", required: true });
    const phone = field({ name: "memberPhone", label: t("memberPhone"), type: "tel" });
    name.dataset.part = "name";
    email.dataset.part = "email";
    phone.dataset.part = "phone";
    const row = h("fieldset", { className: "team-row" }, h("legend", {}, t("teamMember", { n: rows.length + 1 })), name, email, phone);
    row.append(h("button", { type: "button", className: "link", on: { click: () => { rows.splice(rows.indexOf(row), 1); row.remove(); renumber(); } } }, t("removeMember")));
    rows.push(row);
    list.append(row);
    renumber();
    name.querySelector("input").focus();
  };
  const element = h(
    "fieldset",
    { className: "team-editor", dataset: { field: "team" } },
    h("legend", {}, t("teamMembers")),
    list,
    h("button", { type: "button", className: "secondary", on: { click: add } }, t("addMember")),
    h("p", { className: "field-error", hidden: true }),
  );
  const value = () =>
    rows.map((row) => {
      const read = (part) => row.querySelector(`[data-part="${part}"] input`).value.trim();
      const member = { name: read("name"), email: read("email") };
      if (read("phone")) member.phone = read("phone");
      return member;
    });
  return { element, value };
}

export function clearNode(node) {
  return clear(node);
}
