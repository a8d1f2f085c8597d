// @ts-check
// Notification settings: who receives lead emails. Editable by ReferralsAdmin only.

import { api } from "./api.js";
import { h, clear, announce } from "./dom.js";
import { t, errorMessage, LANGUAGES } from "./i18n.js";
import { routingSettings } from "./owners.js";

export async function showSettings(root, user) {
  clear(root).append(h("p", { attrs: { role: "status" } }, t("loading")));
  let recipients;
  try {
    recipients = (await api("/api/settings/notifications")).body.recipients;
  } catch (error) {
    clear(root).append(h("p", { className: "error", attrs: { role: "alert" } }, errorMessage(error)));
    return;
  }
  const editable = !user || user.roles.includes("ReferralsAdmin");
  const heading = h("h1", { tabIndex: -1 }, t("settings"));
  clear(root).append(heading);
  if (!editable) {
    root.append(
      h("p", { className: "notice", attrs: { "data-testid": "settings-read-only" } }, t("recipientsReadOnly")),
      recipients.length
        ? h("ul", { className: "recipients" }, ...recipients.map((r) => h("li", {}, [r.name, r.email, languageName(r.language)].filter(Boolean).join(" · "))))
        : h("p", {}, t("noRecipients")),
    );
    heading.focus({ preventScroll: true });
    routingSettings(root, false);
    return;
  }
  const rows = h("tbody");
  const message = h("p", { className: "dialog-message", attrs: { role: "alert" }, hidden: true });
  const addRow = (recipient = { email: "", name: "", language: null }) => {
    const index = rows.children.length;
    const language = h("select", { attrs: { "aria-label": `${t("recipientLanguage")} ${index + 1}`, "data-part": "language" } },
      ...LANGUAGES.map((code) => h("option", { value: code }, languageName(code))));
    language.value = LANGUAGES.includes(recipient.language) ? recipient.language : "en";
    const email = h("input", { type: "email", value: recipient.email || "", attrs: { "aria-label": `${t("recipientEmail")} ${index + 1}`, "data-part": "email" } });
    const name = h("input", { type: "text", value: recipient.name || "", attrs: { "aria-label": `${t("recipientName")} ${index + 1}`, "data-part": "name" } });
    const row = h("tr", {}, h("td", {}, email), h("td", {}, name), h("td", {}, language), h("td", {}, h("button", { type: "button", className: "link", on: { click: () => row.remove() } }, t("removeRecipient"))));
    rows.append(row);
    return email;
  };
  recipients.forEach((recipient) => addRow(recipient));
  const form = h(
    "form",
    {
      attrs: { novalidate: true, "aria-labelledby": "recipients-heading" },
      on: {
        submit: async (event) => {
          event.preventDefault();
          message.hidden = true;
          const body = {
            recipients: [...rows.children]
              .map((row) => ({
                email: /** @type {HTMLInputElement} */ (row.querySelector('[data-part="email"]')).value.trim(),
                name: /** @type {HTMLInputElement} */ (row.querySelector('[data-part="name"]')).value.trim() || null,
                language: /** @type {HTMLSelectElement} */ (row.querySelector('[data-part="language"]')).value,
              }))
              // English is the default: leaving it out asks nothing of an API that predates the field.
              .map(({ language, ...recipient }) => (language === "en" ? recipient : { ...recipient, language }))
              .filter((recipient) => recipient.email),
          };
          try {
            await api("/api/settings/notifications", { method: "PUT", body });
            announce(t("saved"));
            message.textContent = t("saved");
            message.className = "dialog-message success";
            message.hidden = false;
          } catch (error) {
            message.textContent = error.status === 403 ? t("recipientsReadOnly") : errorMessage(error);
            message.className = "dialog-message error";
            message.hidden = false;
          }
        },
      },
    },
    h("h2", { id: "recipients-heading" }, t("recipients")),
    message,
    h("div", { className: "table-wrap" }, h("table", { className: "recipients" },
      h("thead", {}, h("tr", {}, h("th", { attrs: { scope: "col" } }, t("recipientEmail")), h("th", { attrs: { scope: "col" } }, t("recipientName")), h("th", { attrs: { scope: "col" } }, t("recipientLanguage")), h("th", { attrs: { scope: "col" } }, h("span", { className: "visually-hidden" }, t("removeRecipient"))))),
      rows)),
    h("div", { className: "dialog-buttons" },
      h("button", { type: "button", className: "secondary", on: { click: () => addRow().focus() } }, t("addRecipient")),
      h("button", { type: "submit" }, t("save"))),
  );
  root.append(form);
  heading.focus({ preventScroll: true });
  routingSettings(root, true);
}

function languageName(code) {
  return code === "nl" ? "Nederlands" : code === "en" ? "English" : null;
}
