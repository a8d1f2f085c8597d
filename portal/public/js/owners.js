// @ts-check
// Owners, routing rules and related leads: the list's owner column, marker and filter, "My leads",
// the lead page's owner picker and related leads, and the routing rules editor in the settings.

import { api, leadPath, ApiError } from "./api.js";
import { h, clear, icon, announce } from "./dom.js";
import { t, enumLabel, formatDateTime } from "./i18n.js";

/** @type {Promise<Array<{userId: string, name: string | null}>> | null} */
let peoplePromise = null;

/** Whom a lead can be given to: people who signed in lately and the routing rules' users (cached). */
export function people(refresh = false) {
  if (!peoplePromise || refresh) {
    peoplePromise = api("/api/users").then(({ body }) => body.value).catch(() => {
      peoplePromise = null;
      return [];
    });
  }
  return peoplePromise;
}

export function ownerName(owner) {
  return owner ? owner.name || owner.userId : t("unassigned");
}

/** The list's owner cell. */
export function ownerCell(lead) {
  return h(
    "td",
    { className: "cell-owner", attrs: { "data-label": t("colOwner"), "data-testid": "owner-cell" } },
    lead.owner ? ownerName(lead.owner) : h("span", { className: "sub" }, t("unassigned")),
  );
}

/** The list's marker of a lead whose customer has other leads. */
export function relatedMarker(lead) {
  if (!lead.hasRelatedLeads) return null;
  return h("span", { className: "flag related", title: t("hasRelated"), attrs: { "data-testid": "related-marker" } }, icon("copy", { label: t("hasRelated") }));
}

/** "My leads": one click shows the caller's leads, another shows every lead again. */
export function myLeadsButton(state, navigate) {
  const mine = state.filters.owner === "me";
  return h(
    "button",
    {
      type: "button",
      className: mine ? "" : "secondary",
      attrs: { id: "my-leads", "aria-pressed": String(mine) },
      on: {
        click: () => {
          const filters = { ...state.filters };
          if (mine) delete filters.owner;
          else filters.owner = "me";
          navigate({ tab: state.tab, filters });
        },
      },
    },
    t("myLeads"),
  );
}

/** The owner filter (a select whose value is the API's `owner`); registered in the list's inputs. */
export function ownerFilter(inputs) {
  const select = h("select", { id: "filter-owner", name: "owner" },
    h("option", { value: "" }, t("anyOwner")),
    h("option", { value: "me" }, t("myLeads")),
    h("option", { value: "none" }, t("unassigned")));
  inputs.owner = select;
  people().then((found) => {
    const wanted = select.value;
    select.append(...found.map((person) => h("option", { value: person.userId }, ownerName(person))));
    select.value = wanted;
  });
  select.addEventListener("change", () => select.form?.requestSubmit());
  return h("div", { className: "field" }, h("label", { htmlFor: "filter-owner" }, t("owner")), select);
}

/** The lead page's owner card: who owns it, and a picker to give it to someone else or no one. */
export function ownerCard(lead, etag, onSaved) {
  const select = h("select", { id: "owner-picker", attrs: { "aria-label": t("owner") } }, h("option", { value: "" }, t("unassigned")));
  const current = lead.owner;
  if (current) select.append(h("option", { value: current.userId }, ownerName(current)));
  select.value = current ? current.userId : "";
  const names = new Map(current ? [[current.userId, current.name]] : []);
  people().then((found) => {
    for (const person of found) {
      if (names.has(person.userId)) continue;
      names.set(person.userId, person.name);
      select.append(h("option", { value: person.userId }, ownerName(person)));
    }
  });
  const message = h("p", { className: "owner-message", attrs: { role: "alert" }, hidden: true });
  const save = h("button", { type: "button", attrs: { id: "owner-save" }, on: { click: async () => {
    const userId = select.value || null;
    const body = userId ? { userId, name: names.get(userId) || null } : { userId: null };
    save.disabled = true;
    try {
      await api(leadPath(lead.id, "/owner"), { method: "PUT", body, etag });
      announce(t("saved"));
      await onSaved();
    } catch (error) {
      message.textContent = error.status === 412 ? t("changedMeanwhile") : error.message || t("genericError");
      message.hidden = false;
      save.disabled = false;
    }
  } } }, t("assign"));
  const editable = lead.stage !== "Archived";
  return h("section", { className: "card", attrs: { "aria-labelledby": "section-owner", "data-testid": "owner-card" } },
    h("h2", { id: "section-owner" }, t("owner")),
    h("p", { attrs: { "data-testid": "owner-name" } }, ownerName(current)),
    editable ? h("div", { className: "field-row" }, select, save) : null,
    message);
}

/** The lead page's related leads: the same customer's other leads, with stage and owner. */
export function relatedCard(leadId) {
  const body = h("p", { attrs: { role: "status" } }, t("loading"));
  const card = h("section", { className: "card", attrs: { "aria-labelledby": "section-related", "data-testid": "related-leads" } },
    h("h2", { id: "section-related" }, t("relatedLeads")), body);
  api(leadPath(leadId, "/related")).then(({ body: answer }) => {
    if (!answer.value.length) {
      body.replaceWith(h("p", {}, t("noRelated")));
      return;
    }
    body.replaceWith(h("ul", { className: "related" }, ...answer.value.map((other) => h("li", { dataset: { leadId: other.id } },
      h("a", { href: `#/leads/${encodeURIComponent(other.id)}` }, (other.customer && other.customer.company) || t("unknown")),
      " · ", h("span", { className: "badge" }, other.status ? enumLabel(other.status) : enumLabel(other.stage)),
      " · ", h("span", { className: "sub" }, formatDateTime(other.createdDateTime)),
      " · ", h("span", { attrs: { "data-testid": "related-owner" } }, ownerName(other.owner))))));
  }).catch((error) => body.replaceWith(h("p", { className: "error" }, error.message || t("genericError"))));
  return card;
}

// --- routing rules --------------------------------------------------------------------------

const CONDITIONS = ["country", "leadSource", "callToAction", "offerId", "qualification"];

const list = (text) => text.split(/[\s,;]+/).map((part) => part.trim()).filter(Boolean);

/** `userId=Name` pairs, comma-separated, as the editor shows a rule's users. */
function usersText(users) {
  return users.map((user) => (user.name ? `${user.userId}=${user.name}` : user.userId)).join(", ");
}

function parseUsers(text) {
  return text.split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
    const [userId, ...name] = part.split("=");
    return { userId: userId.trim(), name: name.join("=").trim() || null };
  });
}

/** The routing rules in the settings: ordered rules, editable by a ReferralsAdmin. */
export async function routingSettings(root, editable) {
  const container = h("section", { className: "routing", attrs: { "aria-labelledby": "routing-heading", "data-testid": "routing-rules" } },
    h("h2", { id: "routing-heading" }, t("routingRules")), h("p", { className: "hint" }, t("routingHint")));
  root.append(container);
  let rules;
  try {
    rules = (await api("/api/settings/routing")).body.rules;
  } catch (error) {
    container.append(h("p", { className: "error", attrs: { role: "alert" } }, error.message || t("genericError")));
    return;
  }
  const rows = h("ol", { className: "rules" });
  const message = h("p", { className: "routing-message", attrs: { role: "alert" }, hidden: true });
  const addRule = (rule = { when: {}, assignTo: [] }) => {
    const number = rows.children.length + 1;
    const input = (part, value) => h("label", { className: "field" }, h("span", {}, t(part === "assignTo" ? "assignTo" : part)),
      h("input", { type: "text", value, disabled: !editable, attrs: { "data-part": part, "aria-label": `${t(part === "assignTo" ? "assignTo" : part)} ${number}` } }));
    const item = h("li", { className: "card rule" },
      ...CONDITIONS.map((part) => input(part, (rule.when[part] || []).join(", "))),
      input("assignTo", usersText(rule.assignTo)),
      editable ? h("button", { type: "button", className: "link", on: { click: () => item.remove() } }, t("removeRule")) : null);
    rows.append(item);
    return item;
  };
  rules.forEach((rule) => addRule(rule));
  container.append(message, rows);
  if (!rules.length) container.append(h("p", { attrs: { "data-testid": "no-rules" } }, t("noRules")));
  if (!editable) return;
  const save = async () => {
    message.hidden = true;
    const body = {
      rules: [...rows.children].map((item) => {
        const value = (part) => item.querySelector(`[data-part="${part}"]`).value;
        const when = {};
        for (const part of CONDITIONS) {
          const values = list(value(part));
          if (values.length) when[part] = part === "country" ? values.map((code) => code.toUpperCase()) : values;
        }
        return { when, assignTo: parseUsers(value("assignTo")) };
      }),
    };
    try {
      await api("/api/settings/routing", { method: "PUT", body });
      people(true);
      message.textContent = t("saved");
      message.className = "routing-message success";
    } catch (error) {
      const details = error instanceof ApiError ? error.details.map((d) => `${d.field}: ${d.message}`) : [];
      message.textContent = [error.message || t("genericError"), ...details].join(" ");
      message.className = "routing-message error";
    }
    message.hidden = false;
  };
  container.append(h("div", { className: "dialog-buttons" },
    h("button", { type: "button", className: "secondary", attrs: { id: "add-rule" }, on: { click: () => addRule().querySelector("input")?.focus() } }, t("addRule")),
    h("button", { type: "button", attrs: { id: "save-rules" }, on: { click: save } }, t("saveRules"))));
}
