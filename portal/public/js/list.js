// @ts-check
// The Leads workspace list: tabs with counts, search, sort and filters kept in the URL, rows,
// paging as you scroll. Each API request reads a bounded part of the partner's leads, so a page
// may come back short (even empty) with a continuation token: the list follows the tokens until
// it has a page, saying it is still looking, and the user can stop it.

import { api, leadPath } from "./api.js";
import { h, clear, icon, announce } from "./dom.js";
import { t, enumLabel, formatDateTime, formatCount, countryName, timeLeft, errorMessage } from "./i18n.js";
import { countryPicker } from "./country.js";
import { warningMarks } from "./marks.js";
import { fetchBeforeDownload } from "./download.js";
import { TABS, ENUM_FILTERS, SORTS, apiParams, listHash } from "./route.js";
import { myLeadsButton, ownerCell, ownerFilter, relatedMarker } from "./owners.js";

const PAGE_SIZE = 50;
// Counts are found by reading up to this many leads per tab; beyond it the tab shows "500+".
const COUNT_CAP = 500;
// Whether the API answers `GET /api/leads/count` (null: not asked yet).
let countEndpoint = null;
const TAB_LABELS = { marketplace: "tabMarketplace", qualified: "tabQualified", favorites: "tabFavorites" };
// The qualifications the Qualified tab holds (its filter offers only these).
const QUALIFIED = ["MarketingQualified", "SalesQualified"];

export class LeadList {
  constructor(root) {
    this.root = root;
    this.state = { tab: "marketplace", filters: {}, sort: SORTS[0] };
    this.stopped = false;
    this.token = null;
    this.loadingPage = false;
    this.generation = 0;
    this.counts = {};
    this.firstPaintMarked = false;
    this.build();
  }

  build() {
    this.tabButtons = {};
    this.countBadges = {};
    const tabs = h("div", { className: "tabs", attrs: { role: "tablist", "aria-label": t("leadTabs") } });
    for (const tab of TABS) {
      const badge = h("span", { className: "count", attrs: { "data-testid": `count-${tab}` } }, "…");
      const button = h(
        "button",
        {
          type: "button",
          className: "tab",
          attrs: { role: "tab", "data-tab": tab, "aria-controls": "lead-table" },
          on: { click: () => this.navigate({ ...this.state, tab }) },
        },
        h("span", { className: "tab-label" }, t(TAB_LABELS[tab])),
        " ",
        badge,
      );
      this.tabButtons[tab] = button;
      this.countBadges[tab] = badge;
      tabs.append(button);
    }
    tabs.addEventListener("keydown", (event) => this.moveTabFocus(event));

    this.filterToggle = h(
      "button",
      {
        type: "button",
        className: "secondary",
        attrs: { "aria-expanded": "false", "aria-controls": "filter-panel" },
        on: { click: () => this.toggleFilters() },
      },
      t("showFilters"),
    );
    this.exportLink = h("a", { className: "button secondary", attrs: { id: "export-link", download: "" } }, t("export"));
    this.searchInput = h("input", { type: "search", id: "list-search", name: "q", attrs: { autocomplete: "off", maxlength: "200", "aria-describedby": "list-search-hint" } });
    const searchForm = h(
      "form",
      { className: "list-search", attrs: { role: "search" }, on: { submit: (event) => { event.preventDefault(); this.applyForm(); } } },
      h("label", { htmlFor: "list-search" }, t("q")),
      this.searchInput,
      h("small", { id: "list-search-hint", className: "hint" }, t("searchHint")),
    );
    this.sortSelect = h(
      "select",
      { id: "list-sort", name: "sort", on: { change: () => this.navigate({ ...this.state, sort: this.sortSelect.value }) } },
      ...SORTS.map((sort) => h("option", { value: sort }, t(`sort.${sort}`))),
    );
    const sortField = h("div", { className: "field list-sort" }, h("label", { htmlFor: "list-sort" }, t("sortBy")), this.sortSelect);
    this.filterPanel = this.buildFilterPanel();
    this.inputs.q = this.searchInput; // the search box is read and set with the filters

    this.tbody = h("tbody");
    this.table = h(
      "table",
      { className: "leads", attrs: { id: "lead-table" } },
      h("caption", { className: "visually-hidden" }, t("appTitle")),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { attrs: { scope: "col" } }, h("span", { className: "visually-hidden" }, t("colFavorite"))),
          ...["colCustomer", "colOrigin", "colQualification", "colQuality", "colStatus", "colOwner", "colCreated"].map((key) =>
            h("th", { attrs: { scope: "col", "data-col": key } }, t(key)),
          ),
        ),
      ),
      this.tbody,
    );
    this.status = h("p", { className: "list-status", attrs: { role: "status", "aria-live": "polite" } });
    this.moreButton = h("button", { type: "button", className: "secondary", hidden: true, on: { click: () => this.loadPage() } }, t("loadMore"));
    this.stopButton = h("button", { type: "button", className: "secondary", hidden: true, attrs: { id: "stop-looking" }, on: { click: () => { this.stopped = true; this.stopButton.hidden = true; } } }, t("stopLooking"));
    this.sentinel = h("div", { className: "sentinel", attrs: { "aria-hidden": "true" } });
    fetchBeforeDownload(this.exportLink, this.status);

    clear(this.root).append(
      h("div", { className: "list-toolbar" }, tabs, h("div", { className: "toolbar-actions" }, this.myLeads = h("span"), this.filterToggle, this.exportLink)),
      h("div", { className: "list-toolbar" }, searchForm, sortField),
      this.filterPanel,
      h("div", { className: "table-wrap" }, this.table),
      this.status,
      h("div", { className: "more" }, this.stopButton, this.moreButton),
      this.sentinel,
    );
    // Loading as you scroll: the next page comes when the end of the list nears the viewport.
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting) && this.token && !this.loadingPage && !this.root.hidden) this.loadPage();
    }, { rootMargin: "400px" });
    this.observer.observe(this.sentinel);
  }

  moveTabFocus(event) {
    const order = TABS.map((tab) => this.tabButtons[tab]);
    const index = order.indexOf(document.activeElement);
    if (index < 0) return;
    let next = null;
    if (event.key === "ArrowRight") next = order[(index + 1) % order.length];
    if (event.key === "ArrowLeft") next = order[(index + order.length - 1) % order.length];
    if (event.key === "Home") next = order[0];
    if (event.key === "End") next = order[order.length - 1];
    if (next) {
      event.preventDefault();
      next.focus();
      next.click();
    }
  }

  buildFilterPanel() {
    this.inputs = {};
    const groups = [];
    const text = (name, type = "text", hint = null) => {
      const id = `filter-${name}`;
      const input = h("input", { type, id, name, attrs: { autocomplete: "off", "aria-describedby": hint ? `${id}-hint` : null } });
      this.inputs[name] = input;
      return h(
        "div",
        { className: "field" },
        h("label", { htmlFor: id }, t(name === "createdUntil" ? "createdUntil" : name)),
        input,
        hint ? h("small", { id: `${id}-hint`, className: "hint" }, t(hint)) : null,
      );
    };
    groups.push(h("div", { className: "filter-texts" }, text("customerName", "search"), countryPicker(this.inputs), text("createdFrom", "date"), text("createdUntil", "date"), ownerFilter(this.inputs)));
    for (const [name, values] of Object.entries(ENUM_FILTERS)) {
      this.inputs[name] = [];
      const options = values.map((value) => {
        const box = h("input", { type: "checkbox", name, value });
        this.inputs[name].push(box);
        // Only the Qualified tab offers the qualification filter, with its two qualifications.
        return h("label", { className: "check", hidden: name === "qualification" && !QUALIFIED.includes(value) }, box, " ", enumLabel(value));
      });
      groups.push(h("fieldset", { className: "filter-group", attrs: { "data-filter": name } }, h("legend", {}, t(name)), ...options));
    }
    const form = h(
      "form",
      {
        className: "filters",
        attrs: { id: "filter-panel", "aria-label": t("filters"), role: "search" },
        hidden: true,
        on: {
          submit: (event) => { event.preventDefault(); this.applyForm(); },
          change: (event) => { if (event.target.type === "checkbox" || event.target.type === "date") this.applyForm(); },
        },
      },
      ...groups,
      h(
        "div",
        { className: "filter-buttons" },
        h("button", { type: "submit" }, t("applyFilters")),
        h("button", { type: "button", className: "secondary", on: { click: () => this.navigate({ ...this.state, filters: {} }) } }, t("clearFilters")),
      ),
    );
    return form;
  }

  toggleFilters(force) {
    const open = force ?? this.filterPanel.hidden;
    this.filterPanel.hidden = !open;
    this.filterToggle.setAttribute("aria-expanded", String(open));
  }

  applyForm() {
    const filters = {};
    for (const [name, input] of Object.entries(this.inputs)) {
      if (Array.isArray(input)) {
        const values = input.filter((box) => box.checked).map((box) => box.value);
        if (values.length) filters[name] = values;
      } else if (input.value.trim()) {
        filters[name] = input.value.trim();
      }
    }
    this.navigate({ ...this.state, filters });
  }

  syncForm() {
    this.sortSelect.value = this.state.sort;
    for (const [name, input] of Object.entries(this.inputs)) {
      const value = this.state.filters[name];
      if (Array.isArray(input)) for (const box of input) box.checked = Array.isArray(value) && value.includes(box.value);
      else input.value = value || "";
    }
    if (Object.keys(this.state.filters).some((name) => name !== "q")) this.toggleFilters(true);
  }

  navigate(state) {
    location.hash = listHash(state);
  }

  /** Show the list for a tab and filters (from the URL). */
  show(state) {
    const { q, ...filters } = state.filters;
    // The qualification filter belongs to the Qualified tab; elsewhere it is dropped.
    if (state.tab !== "qualified") delete filters.qualification;
    this.state = { ...state, filters: q ? { ...filters, q } : filters, sort: state.sort || SORTS[0] };
    const qualifiedTab = state.tab === "qualified";
    this.filterPanel.querySelector('[data-filter="qualification"]').hidden = !qualifiedTab;
    this.table.querySelector('[data-col="colQualification"]').hidden = !qualifiedTab;
    for (const tab of TABS) {
      const selected = tab === state.tab;
      this.tabButtons[tab].setAttribute("aria-selected", String(selected));
      this.tabButtons[tab].tabIndex = selected ? 0 : -1;
    }
    this.syncForm();
    this.myLeads.replaceChildren(myLeadsButton(this.state, (next) => this.navigate(next)));
    this.exportLink.href = `/api/leads/export?${apiParams(this.state.tab, this.state.filters)}`;
    this.reload();
  }

  reload() {
    this.generation += 1;
    this.abort?.abort();
    this.abort = new AbortController();
    this.token = null;
    this.loaded = 0;
    clear(this.tbody);
    // Counts after the first page: the rows the user waits for come first.
    this.loadPage(true).then(() => this.loadCounts());
  }

  async loadPage(first = false) {
    const generation = this.generation;
    this.loadingPage = true;
    this.stopped = false;
    this.moreButton.hidden = true;
    this.status.textContent = t("loading");
    const before = this.loaded;
    try {
      // Follow the tokens until a page is full, the list ends, or the user stops.
      for (;;) {
        const params = apiParams(this.state.tab, this.state.filters);
        if (this.state.sort !== SORTS[0]) params.set("sort", this.state.sort);
        params.set("top", String(PAGE_SIZE - (this.loaded - before)));
        if (!first && this.token) params.set("continuationToken", this.token);
        first = false;
        const { body } = await api(`/api/leads?${params}`, { signal: this.abort.signal });
        if (generation !== this.generation) return;
        const rows = body.value.map((lead) => this.row(lead));
        this.tbody.append(...rows);
        this.loaded += rows.length;
        this.token = body.continuationToken;
        if (!this.firstPaintMarked && rows.length) {
          this.firstPaintMarked = true;
          performance.mark("portal:leads-rendered");
          document.dispatchEvent(new CustomEvent("portal:first-page"));
        }
        if (!this.token || this.loaded - before >= PAGE_SIZE || this.stopped) break;
        this.status.textContent = t("stillLooking", { count: formatCount(this.loaded) });
        this.stopButton.hidden = false;
      }
      this.stopButton.hidden = true;
      this.moreButton.hidden = !this.token;
      const shown = { count: formatCount(this.loaded) };
      if (this.stopped && this.token) this.status.textContent = t("stoppedLooking", shown);
      else this.status.textContent = this.loaded === 0 && !this.token ? t("noLeads") : t("leadsShown", shown);
      this.root.dataset.loaded = String(this.generation);
    } catch (error) {
      if (error.name === "AbortError" || generation !== this.generation) return;
      this.stopButton.hidden = true;
      this.moreButton.hidden = !this.token;
      this.status.textContent = errorMessage(error);
    } finally {
      if (generation === this.generation) this.loadingPage = false;
    }
  }

  /** The number of leads in a tab: `GET /api/leads/count` where the API has it, else one capped page. */
  async countTab(tab) {
    const params = apiParams(tab, this.state.filters);
    if (countEndpoint !== false) {
      try {
        const { body } = await api(`/api/leads/count?${params}`, { signal: this.abort.signal });
        countEndpoint = true;
        // A filtered count may stop after a bounded read: then it is a lower bound, "n+".
        return formatCount(body.count) + (body.exact === false ? "+" : "");
      } catch (error) {
        if (error.status !== 404 || countEndpoint === true) throw error;
        countEndpoint = false; // an API without the count route: `count` is not a lead id, so 404
      }
    }
    params.set("top", String(COUNT_CAP));
    const { body } = await api(`/api/leads?${params}`, { signal: this.abort.signal });
    return body.continuationToken ? `${formatCount(COUNT_CAP)}+` : formatCount(body.value.length);
  }

  async loadCounts() {
    const generation = this.generation;
    for (const tab of TABS) this.countBadges[tab].textContent = "…";
    await Promise.all(TABS.map(async (tab) => {
      try {
        const text = await this.countTab(tab);
        if (generation !== this.generation) return;
        this.countBadges[tab].textContent = text;
      } catch (error) {
        if (generation === this.generation && error.name !== "AbortError") this.countBadges[tab].textContent = "?";
      }
    }));
  }

  row(lead) {
    const customer = lead.customer || {};
    const contact = [customer.firstName, customer.lastName].filter(Boolean).join(" ");
    const flags = [];
    if (lead.urgency === "ContactRequested") flags.push(h("span", { className: "flag flame" }, icon("flame", { label: t("contactRequested"), filled: true })));
    if (lead.urgency === "ContactRequestedOverdue") flags.push(h("span", { className: "flag flame overdue" }, icon("flame", { label: t("contactOverdue"), filled: true }), icon("clock", { className: "overdue-mark" })));
    if (lead.hasRelatedLeads) flags.push(relatedMarker(lead));
    flags.push(...warningMarks(lead));

    const favorite = h("button", { type: "button", className: "heart", on: { click: () => this.toggleFavorite(lead, favorite) } });
    this.paintHeart(favorite, lead.favorite);

    return h(
      "tr",
      { dataset: { leadId: lead.id } },
      h("td", { className: "cell-favorite" }, favorite),
      h(
        "td",
        { className: "cell-customer" },
        h("a", { href: `#/leads/${encodeURIComponent(lead.id)}`, className: "lead-link" }, customer.company || t("unknown")),
        flags.length ? h("span", { className: "flags" }, ...flags) : null,
        h("div", { className: "sub" }, contact || t("none")),
      ),
      h(
        "td",
        { className: "cell-origin", attrs: { "data-label": t("colOrigin") } },
        h("div", {}, countryName(customer.country)),
        h("div", { className: "sub" }, [lead.callToAction, lead.leadSource, lead.leadType].filter(Boolean).map(enumLabel).join(" · ")),
      ),
      h("td", { className: "cell-qualification", hidden: this.state.tab !== "qualified", attrs: { "data-label": t("colQualification") } }, h("span", { className: "badge", attrs: { "data-qualification": lead.qualification } }, enumLabel(lead.qualification))),
      h("td", { className: "cell-quality", attrs: { "data-label": t("colQuality") } }, qualityBadge(lead.quality), " ", validityMark("email", lead.emailValidity), " ", validityMark("phone", lead.phoneValidity)),
      h("td", { className: "cell-status", attrs: { "data-label": t("colStatus") } }, statusBadge(lead)),
      ownerCell(lead),
      h(
        "td",
        { className: "cell-created", attrs: { "data-label": t("colCreated") } },
        h("time", { attrs: { datetime: lead.createdDateTime } }, formatDateTime(lead.createdDateTime)),
        h("div", { className: "sub" }, lead.stage === "Received" ? timeLeft(lead.expirationDateTime) : ""),
      ),
    );
  }

  paintHeart(button, on) {
    clear(button).append(icon("heart", { filled: on }));
    button.setAttribute("aria-pressed", String(on));
    button.setAttribute("aria-label", on ? t("favoriteRemove") : t("favoriteAdd"));
    button.title = on ? t("favoriteRemove") : t("favoriteAdd");
  }

  async toggleFavorite(lead, button) {
    const next = !lead.favorite;
    this.paintHeart(button, next);
    try {
      await api(leadPath(lead.id, "/favorite"), { method: next ? "PUT" : "DELETE" });
      lead.favorite = next;
      this.loadCounts();
    } catch {
      this.paintHeart(button, lead.favorite);
      announce(t("genericError"));
    }
  }
}

export function qualityBadge(quality) {
  if (!quality) return h("span", { className: "badge muted" }, t("unknown"));
  return h("span", { className: `badge quality-${quality.toLowerCase()}`, attrs: { "data-quality": quality } }, `${t("quality")}: ${enumLabel(quality)}`);
}

const VALIDITY_ICONS = { Valid: "check", Invalid: "cross", Spam: "warning", Unknown: "question" };

export function validityMark(kind, validity) {
  const label = `${t(kind === "email" ? "emailValidity" : "phoneValidity")}: ${validity ? enumLabel(validity) : t("unknown")}`;
  return h(
    "span",
    { className: `mark validity-${(validity || "none").toLowerCase()}`, title: label, attrs: { "data-validity": `${kind}:${validity || ""}` } },
    icon(VALIDITY_ICONS[validity] || "question", { label }),
    h("span", { className: "mark-kind", attrs: { "aria-hidden": "true" } }, kind === "email" ? "@" : "☎"),
  );
}

export function statusBadge(lead) {
  const text = lead.status ? enumLabel(lead.status) : enumLabel(lead.stage);
  return h("span", { className: `badge status-${(lead.status || lead.stage || "").toLowerCase()}` }, text);
}
