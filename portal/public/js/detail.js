// @ts-check
// One lead: every field, copy buttons, history, and the actions its stage allows.

import { api, leadPath, ApiError } from "./api.js";
import { h, clear, icon, announce } from "./dom.js";
import { t, enumLabel, formatDateTime, formatDate, formatMoney, countryName, timeLeft, currentLanguage, errorMessage, formatPhone, spamFlagText, fieldLabel, formatCount } from "./i18n.js";
import { warningMarks } from "./marks.js";
import { field, formDialog, teamEditor } from "./dialogs.js";
import { qualityBadge, validityMark, statusBadge } from "./list.js";
import { ownerCard, relatedCard } from "./owners.js";
import { partnerCenterSection } from "./partner_center.js";

const DECLINE_REASONS = [
  "BudgetNotAdequate", "CustomerDidNotRespond", "CustomerChoseAnotherVendor", "RequirementNotMet",
  "NotACustomer", "TimelineTooShort", "Spam", "Other",
];
const CURRENCIES = ["USD", "EUR", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CAD", "AUD", "JPY", "INR", "BRL", "ZAR"];

function value(form, name) {
  const control = form.querySelector(`[data-field="${name}"] input, [data-field="${name}"] select, [data-field="${name}"] textarea`);
  return control ? control.value.trim() : "";
}

/** A number typed by the user as a JSON number; text that is not a number is sent as typed so the API names the field. */
function number(text) {
  if (text === "") return undefined;
  const parsed = Number(text.replace(",", "."));
  return Number.isFinite(parsed) ? parsed : text;
}

function withoutEmpty(body) {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined && v !== ""));
}

export class LeadDetail {
  constructor(root, { onChanged }) {
    this.root = root;
    this.onChanged = onChanged;
    this.lead = null;
    this.etag = null;
  }

  async show(id, backHash) {
    this.id = id;
    this.backHash = backHash || "#/leads";
    clear(this.root).append(h("p", { attrs: { role: "status" } }, t("loading")));
    await this.reload();
  }

  /** Fetch the lead (and its ETag) and history again and redraw the page; open dialogs stay as they are. */
  async reload() {
    const id = this.id;
    try {
      const [lead, history] = await Promise.all([api(leadPath(id)), api(leadPath(id, "/history"))]);
      if (id !== this.id) return;
      this.lead = lead.body;
      this.etag = lead.etag;
      this.history = history.body.value;
      this.render(this.history);
      return this.lead;
    } catch (error) {
      if (id !== this.id) return;
      const text = error instanceof ApiError && error.status === 404 ? t("leadNotFound") : errorMessage(error);
      clear(this.root).append(this.backLink(), h("p", { className: "error", attrs: { role: "alert" } }, text));
    }
  }

  backLink() {
    return h("a", { href: this.backHash, className: "back" }, "← ", t("backToList"));
  }

  render(history) {
    const lead = this.lead;
    const customer = lead.customer || {};
    const expired = lead.status === "Expired";
    const heading = h("h1", { id: "lead-heading", tabIndex: -1 }, customer.company || t("unknown"));
    const badges = h("div", { className: "badges" }, statusBadge(lead), " ", qualityBadge(lead.quality));
    if (lead.urgency === "ContactRequested") badges.append(" ", h("span", { className: "flag flame" }, icon("flame", { label: t("contactRequested"), filled: true }), t("contactRequested")));
    if (lead.urgency === "ContactRequestedOverdue") badges.append(" ", h("span", { className: "flag flame overdue" }, icon("flame", { label: t("contactOverdue"), filled: true }), t("contactOverdue")));
    for (const mark of warningMarks(lead)) badges.append(" ", mark);
    document.title = `${customer.company || t("unknown")} — ${t("portalName")}`;

    const favorite = h("button", { type: "button", className: "heart", on: { click: () => this.toggleFavorite(favorite) } });
    this.paintHeart(favorite);

    const contactName = [customer.firstName, customer.lastName].filter(Boolean).join(" ");
    const customerRows = [
      [t("company"), customer.company],
      [t("contactName"), contactName || null],
      [t("email"), customer.email ? copyable(customer.email, t("copyEmail"), `mailto:${customer.email}`, "copy-email") : null],
      [t("phone"), customer.phone ? copyable(customer.phone, t("copyPhone"), `tel:${customer.phone}`, "copy-phone", formatPhone(customer.phone)) : null],
      [t("title"), customer.title],
      [t("country"), customer.country ? `${countryName(customer.country)} (${customer.country})` : null],
      [t("size"), customer.size],
    ];
    const leadRows = [
      [t("leadType"), enumLabel(lead.leadType)],
      [t("qualification"), enumLabel(lead.qualification)],
      [t("leadSource"), lead.leadSource && enumLabel(lead.leadSource)],
      [t("callToAction"), lead.callToAction && enumLabel(lead.callToAction)],
      [t("offer"), lead.offer ? [lead.offer.title, lead.offer.id].filter(Boolean).join(" · ") : null],
      [t("customerNeed"), lead.customerNeed],
      [t("customerRequestedContact"), lead.customerRequestedContact ? t("yes") : t("no")],
      [t("stage"), enumLabel(lead.stage)],
      [t("status"), lead.status && enumLabel(lead.status)],
      [t("statusReason"), lead.statusReason && enumLabel(lead.statusReason)],
      [t("statusNotes"), lead.statusNotes],
      [t("created"), formatDateTime(lead.createdDateTime)],
      [t("updated"), formatDateTime(lead.updatedDateTime)],
      // An accepted or closed lead no longer expires: the row would only mislead.
      ...(lead.expirationDateTime && (lead.stage === "Received" || lead.status === "Expired")
        ? [[t("expires"), `${formatDateTime(lead.expirationDateTime)}${lead.stage === "Received" ? ` (${timeLeft(lead.expirationDateTime)})` : ""}`]]
        : []),
      [t("acceptedAt"), lead.acceptedDateTime && formatDateTime(lead.acceptedDateTime)],
      [t("closedAt"), lead.closedDateTime && formatDateTime(lead.closedDateTime)],
      [t("leadId"), lead.id],
    ];
    const validationRows = [
      [t("emailValidity"), h("span", {}, validityMark("email", lead.emailValidity), " ", lead.emailValidity ? enumLabel(lead.emailValidity) : t("unknown"))],
      [t("phoneValidity"), h("span", {}, validityMark("phone", lead.phoneValidity), " ", lead.phoneValidity ? enumLabel(lead.phoneValidity) : t("unknown"))],
      [t("quality"), lead.quality && enumLabel(lead.quality)],
      [t("spamFlags"), (lead.spamFlags || []).map(spamFlagText).join(", ") || null],
      [t("validatedAt"), lead.validatedDateTime && formatDateTime(lead.validatedDateTime)],
    ];

    const sections = [
      section("sectionCustomer", [
        expired ? h("p", { className: "notice", attrs: { "data-testid": "contact-removed" } }, t("contactRemoved")) : null,
        definitions(customerRows),
      ]),
      section("sectionLead", definitions(leadRows)),
      section("sectionValidation", definitions(validationRows)),
    ];
    if (lead.deal) {
      const deal = lead.deal;
      sections.push(section("sectionDeal", definitions([
        [t("dealName"), deal.name],
        [lead.status === "Won" ? t("finalValue") : t("estimatedValue"), formatMoney(deal.value, deal.currency)],
        [t("estimatedCloseDate"), formatDate(deal.estimatedCloseDate)],
        [t("notes"), deal.notes],
        [t("campaignId"), deal.campaignId],
        [t("crmId"), deal.crmId],
      ]), "deal"));
    }
    if (lead.team && lead.team.length) {
      sections.push(section("sectionTeam", h("ul", { className: "team" }, ...lead.team.map((member) =>
        h("li", {}, member.name, " · ", member.email, member.phone ? ` · ${formatPhone(member.phone)}` : "")))));
    }
    sections.push(ownerCard(lead, this.etag, () => this.reload()), relatedCard(lead.id));
    const partnerCenter = partnerCenterSection(lead);
    if (partnerCenter) sections.push(partnerCenter);
    sections.push(section("sectionHistory", historyList(history)));

    const focused = document.activeElement;
    const hadFocusInside = this.root.contains(focused);
    clear(this.root).append(
      this.backLink(),
      h("div", { className: "detail-head" }, h("div", {}, heading, badges), favorite),
      this.actions(),
      h("div", { className: "detail-grid" }, ...sections),
    );
    if (!hadFocusInside && !document.querySelector("dialog[open]")) heading.focus({ preventScroll: true });
  }

  paintHeart(button) {
    const on = this.lead.favorite;
    clear(button).append(icon("heart", { filled: on }));
    button.setAttribute("aria-pressed", String(on));
    button.setAttribute("aria-label", on ? t("favoriteRemove") : t("favoriteAdd"));
    button.title = button.getAttribute("aria-label");
  }

  async toggleFavorite(button) {
    const next = !this.lead.favorite;
    try {
      await api(leadPath(this.lead.id, "/favorite"), { method: next ? "PUT" : "DELETE" });
      this.lead.favorite = next;
      this.paintHeart(button);
      this.onChanged?.(); // the list behind shows hearts too
    } catch {
      announce(t("genericError"));
    }
  }

  actions() {
    const lead = this.lead;
    const bar = h("div", { className: "actions", attrs: { role: "group", "aria-label": t("status") } });
    const button = (label, onClick, secondary = false) =>
      h("button", { type: "button", className: secondary ? "secondary" : "", on: { click: onClick } }, label);
    if (lead.stage === "Received") {
      bar.append(button(t("accept"), () => this.acceptDialog()), button(t("decline"), () => this.declineDialog(), true));
    } else if (lead.stage === "Accepted") {
      bar.append(
        button(t("editDeal"), () => this.dealDialog(), true),
        button(t("addTeamMember"), () => this.teamDialog(), true),
        button(t("markWon"), () => this.closeDialog("Won")),
        button(t("markLost"), () => this.closeDialog("Lost"), true),
      );
    } else if (lead.stage === "Archived") {
      bar.append(h("p", { className: "notice" }, t("readOnly")));
    } else {
      bar.append(h("p", { className: "notice" }, t("informational")));
    }
    return bar;
  }

  /** Who made the lead's latest change, as a name (history is oldest first). */
  lastActor() {
    const last = [...(this.history || [])].reverse().find((entry) => entry.actor !== "system");
    return last ? actorName(last) : t("colleague");
  }

  /** A mutation with the lead's current ETag; the answer (the updated lead) is shown. */
  mutate(method, suffix, body) {
    return api(leadPath(this.lead.id, suffix), { method, body, etag: this.etag });
  }

  /**
   * A form dialog for an action the lead's stage `stage` allows; after a conflict it says what the
   * colleague did: the lead moved on (declined, accepted, closed) or, still in that stage, what
   * `options.onConflict` (the deal edit) tells.
   */
  dialog(options) {
    const stage = options.stage;
    return formDialog({
      ...options,
      reload: () => this.reload(),
      onConflict: (fresh, form) => {
        const who = this.lastActor();
        if (fresh.stage !== stage) {
          const message = fresh.status === "Declined"
            ? t("conflictDeclined", { who, reason: fresh.statusReason ? enumLabel(fresh.statusReason) : t("none") })
            : t("conflictMoved", { who, status: enumLabel(fresh.status || fresh.stage) });
          return { message, final: true };
        }
        return options.onConflict?.(fresh, form, who) ?? null;
      },
      done: async () => {
        await this.reload();
        this.onChanged?.();
      },
    });
  }

  acceptDialog() {
    const team = teamEditor();
    const currency = currentLanguage() === "nl" ? "EUR" : "USD";
    this.dialog({
      stage: "Received",
      title: t("acceptTitle"),
      submitLabel: t("accept"),
      build: (form) =>
        form.append(
          field({ name: "dealName", label: t("dealName"), required: true, attrs: { maxlength: 200 } }),
          h("div", { className: "field-row" },
            field({ name: "estimatedValue", label: t("estimatedValue"), type: "number", required: true, attrs: { min: 0, step: "0.01", inputmode: "decimal" } }),
            field({ name: "currency", label: t("currency"), value: currency, options: CURRENCIES.map((c) => [c, c]), required: true })),
          field({ name: "estimatedCloseDate", label: t("estimatedCloseDate"), type: "date", required: true }),
          field({ name: "notes", label: t("notes"), multiline: true, required: true }),
          h("div", { className: "field-row" },
            field({ name: "campaignId", label: t("campaignId") }),
            field({ name: "crmId", label: t("crmId") })),
          team.element,
        ),
      collect: (form) => {
        const body = withoutEmpty({
          dealName: value(form, "dealName"),
          estimatedValue: number(value(form, "estimatedValue")),
          currency: value(form, "currency"),
          estimatedCloseDate: value(form, "estimatedCloseDate"),
          notes: value(form, "notes"),
          campaignId: value(form, "campaignId"),
          crmId: value(form, "crmId"),
        });
        const members = team.value();
        if (members.length) body.team = members;
        return body;
      },
      send: (body) => this.mutate("POST", "/accept", body),
    });
  }

  declineDialog() {
    this.dialog({
      stage: "Received",
      title: t("declineTitle"),
      submitLabel: t("decline"),
      build: (form) =>
        form.append(
          field({ name: "reason", label: t("reason"), required: true, options: [["", "—"], ...DECLINE_REASONS.map((r) => [r, enumLabel(r)])] }),
          field({ name: "notes", label: t("notes"), multiline: true }),
        ),
      collect: (form) => withoutEmpty({ reason: value(form, "reason") || undefined, notes: value(form, "notes") }),
      send: (body) => this.mutate("POST", "/decline", body),
    });
  }

  dealDialog() {
    const initial = dealValues(this.lead.deal);
    const currencies = CURRENCIES.includes(initial.currency) ? CURRENCIES : [initial.currency, ...CURRENCIES];
    this.dialog({
      stage: "Accepted",
      title: t("editDealTitle"),
      build: (form) =>
        form.append(
          field({ name: "dealName", label: t("dealName"), value: initial.dealName, required: true }),
          h("div", { className: "field-row" },
            field({ name: "estimatedValue", label: t("estimatedValue"), type: "number", value: String(initial.estimatedValue), required: true, attrs: { min: 0, step: "0.01" } }),
            field({ name: "currency", label: t("currency"), value: initial.currency, options: currencies.map((c) => [c, c]) })),
          field({ name: "estimatedCloseDate", label: t("estimatedCloseDate"), type: "date", value: initial.estimatedCloseDate, required: true }),
          field({ name: "notes", label: t("notes"), value: initial.notes, multiline: true, required: true }),
          h("div", { className: "field-row" },
            field({ name: "campaignId", label: t("campaignId"), value: initial.campaignId }),
            field({ name: "crmId", label: t("crmId"), value: initial.crmId })),
        ),
      // Only what changed: an edit and a colleague's edit of another field do not undo each other.
      collect: (form) => {
        const body = {};
        for (const name of Object.keys(initial)) {
          const typed = value(form, name);
          if (typed === String(initial[name])) continue;
          if (name === "estimatedValue") body[name] = number(typed) ?? null;
          else if (name === "campaignId" || name === "crmId") body[name] = typed || null;
          else body[name] = typed;
        }
        return body;
      },
      send: (body) => (Object.keys(body).length ? this.mutate("PATCH", "/deal", body) : Promise.resolve(null)),
      // A colleague's edit: fields the user left alone take the colleague's value, typed ones stay.
      onConflict: (fresh, form, who) => {
        const now = dealValues(fresh.deal);
        const changed = Object.keys(initial).filter((name) => String(now[name]) !== String(initial[name]));
        if (!changed.length) return null;
        for (const name of changed) {
          const control = form.querySelector(`[data-field="${name}"] input, [data-field="${name}"] select, [data-field="${name}"] textarea`);
          if (control && control.value.trim() === String(initial[name])) {
            if (control instanceof HTMLSelectElement && ![...control.options].some((o) => o.value === String(now[name]))) control.append(h("option", { value: String(now[name]) }, String(now[name])));
            control.value = String(now[name]);
          }
        }
        Object.assign(initial, now);
        return { message: t("conflictDeal", { who, fields: changed.map((name) => fieldLabel(name)).join(", ") }) };
      },
    });
  }

  teamDialog() {
    this.dialog({
      stage: "Accepted",
      title: t("teamTitle"),
      submitLabel: t("addTeamMember"),
      build: (form) =>
        form.append(
          field({ name: "name", label: t("memberName"), required: true }),
          field({ name: "email", label: t("memberEmail"), type: "email", required: true }),
          field({ name: "phone", label: t("memberPhone"), type: "tel" }),
        ),
      collect: (form) => withoutEmpty({ name: value(form, "name"), email: value(form, "email"), phone: value(form, "phone") }),
      send: (body) => this.mutate("POST", "/team", body),
    });
  }

  closeDialog(outcome) {
    const deal = this.lead.deal || {};
    this.dialog({
      stage: "Accepted",
      title: outcome === "Won" ? t("wonTitle") : t("lostTitle"),
      submitLabel: outcome === "Won" ? t("markWon") : t("markLost"),
      build: (form) => {
        if (outcome === "Lost") form.append(field({ name: "reason", label: t("reason"), options: [["", "—"], ...DECLINE_REASONS.map((r) => [r, enumLabel(r)])] }));
        form.append(
          field({ name: "finalValue", label: `${t("finalValue")} (${deal.currency || ""})`, type: "number", value: deal.value ?? "", attrs: { min: 0, step: "0.01" } }),
          field({ name: "notes", label: t("notes"), multiline: true }),
        );
      },
      collect: (form) => withoutEmpty({
        outcome,
        reason: outcome === "Lost" ? value(form, "reason") || undefined : undefined,
        finalValue: number(value(form, "finalValue")),
        notes: value(form, "notes"),
      }),
      send: (body) => this.mutate("POST", "/close", body),
    });
  }
}

/** The deal edit's fields as the form shows them. */
function dealValues(deal) {
  deal = deal || {};
  return {
    dealName: deal.name ?? "",
    estimatedValue: deal.value ?? "",
    currency: deal.currency ?? "USD",
    estimatedCloseDate: deal.estimatedCloseDate ?? "",
    notes: deal.notes ?? "",
    campaignId: deal.campaignId ?? "",
    crmId: deal.crmId ?? "",
  };
}

function section(titleKey, content, testId) {
  const id = `section-${titleKey}`;
  return h("section", { className: "card", attrs: { "aria-labelledby": id, "data-testid": testId || null } }, h("h2", { id }, t(titleKey)), content);
}

function definitions(rows) {
  const list = h("dl", { className: "fields" });
  for (const [label, content] of rows) {
    list.append(h("dt", {}, label), h("dd", {}, content === null || content === undefined || content === "" ? t("none") : content));
  }
  return list;
}

function copyable(text, label, href, testId, shown = text) {
  const button = h(
    "button",
    {
      type: "button",
      className: "icon-button",
      title: label,
      attrs: { "aria-label": label, "data-testid": testId },
      on: {
        click: async () => {
          try {
            await navigator.clipboard.writeText(text);
            announce(`${t("copied")}: ${shown}`);
          } catch {
            announce(t("genericError"));
          }
        },
      },
    },
    icon("copy"),
  );
  return h("span", { className: "copyable" }, h("a", { href }, shown), " ", button);
}

function historyList(entries) {
  if (!entries.length) return h("p", {}, t("historyEmpty"));
  return h(
    "ol",
    { className: "history" },
    ...entries.map((entry) => {
      // A validation that left the status as it was is not a transition worth showing.
      const moved = entry.fromStatus && entry.toStatus && entry.fromStatus !== entry.toStatus;
      const changes = Object.entries(entry.details?.changes || {});
      return h(
        "li",
        { dataset: { action: entry.action } },
        h("time", { attrs: { datetime: entry.at } }, formatDateTime(entry.at)),
        " — ",
        h("strong", {}, enumLabel(entry.action)),
        moved ? ` (${enumLabel(entry.fromStatus)} → ${enumLabel(entry.toStatus)})` : "",
        h("span", { className: "sub" }, ` ${t("actor")}: ${actorName(entry)}`),
        changes.length
          ? h("ul", { className: "changes" }, ...changes.map(([name, change]) => h("li", { dataset: { field: name } }, t("historyChange", {
            field: fieldLabel(DEAL_FIELDS[name] ?? name),
            from: changeValue(name, change?.from),
            to: changeValue(name, change?.to),
          }))))
          : null,
      );
    }),
  );
}

// The deal's own field names (`deal.value`) as the deal edit's (`estimatedValue`), for their labels.
const DEAL_FIELDS = { name: "dealName", value: "estimatedValue" };

/** Who made a change: the display name, "System" for the pipeline, never a raw user id. */
export function actorName(entry) {
  if (!entry || entry.actor === "system") return t("system");
  return entry.actorName || t("colleague");
}

function changeValue(name, value) {
  if (value === null || value === undefined || value === "") return t("none");
  if (typeof value === "number") return formatCount(value);
  if (name === "estimatedCloseDate") return formatDate(String(value));
  return String(value);
}
