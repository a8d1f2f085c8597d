// @ts-check
// The portal's shell: header (action center, language), the hash router, and the three views.

import { api, currentUser, signInUrl } from "./api.js";
import { h, clear, icon } from "./dom.js";
import { t, setLanguage, currentLanguage, LANGUAGES, translateStatic, enumLabel, formatDateTime, formatCount } from "./i18n.js";
import { parseRoute } from "./route.js";
import { LeadList } from "./list.js";
import { LeadDetail } from "./detail.js";
import { showSettings } from "./settings.js";
import { showInsights } from "./insights.js";

const main = document.getElementById("main");
// The list's own level-one heading; the list itself is redrawn inside `listRoot`.
const listHeading = h("h1", { id: "list-heading", className: "list-heading" }, t("listHeading"));
const listRoot = h("div", { attrs: { id: "list-root" } });
const listView = h("section", { attrs: { id: "list-view", "aria-labelledby": "list-heading" } }, listHeading, listRoot);
const otherRoot = h("section", { attrs: { id: "other-view" }, hidden: true });
main.append(listView, otherRoot);
const ROLES = ["ReferralsAdmin", "BusinessProfileAdmin"];
const TAB_TITLES = { marketplace: "tabMarketplace", qualified: "tabQualified", favorites: "tabFavorites" };

let user = null;
let list = null;
let detail = null;
let lastListHash = "#/leads";
// Back to the list shows the rows and the scroll position it had, unless a lead was changed meanwhile.
let listShownHash = null;
let listScrollY = 0;
let listStale = false;
let currentView = null;

function buildHeader() {
  // No number until the API has answered: an empty badge is hidden, never a "0" that is not known.
  const bellCount = h("span", { className: "bell-count", attrs: { "data-testid": "action-count" }, hidden: true }, "");
  const bell = h("button", { type: "button", className: "icon-button bell", attrs: { id: "action-bell", "aria-haspopup": "dialog", "aria-label": t("actionCenter") }, on: { click: openActionCenter } }, icon("bell"), bellCount);
  const language = h("select", { id: "language-select", on: { change: (event) => { setLanguage(event.target.value); rebuild(); } } },
    ...LANGUAGES.map((code) => h("option", { value: code }, code === "nl" ? "Nederlands" : "English")));
  language.value = currentLanguage();
  const view = parseRoute().view;
  const nav = h("nav", { attrs: { "aria-label": t("appTitle") } },
    h("a", { href: lastListHash, className: "nav-link", attrs: { id: "nav-leads", "aria-current": view === "list" ? "page" : null } }, t("appTitle")),
    h("a", { href: "#/insights", className: "nav-link", attrs: { id: "nav-insights", "aria-current": view === "insights" ? "page" : null } }, t("insights")),
    h("a", { href: "#/settings", className: "nav-link", attrs: { id: "nav-settings", "aria-current": view === "settings" ? "page" : null } }, t("settings")));
  const userBox = user ? h("span", { className: "user" }, user.name, " · ", h("a", { href: "/.auth/logout" }, t("signOut"))) : null;
  clear(document.getElementById("header")).append(
    // The hash is the router's: the skip link moves focus itself instead of navigating.
    h("a", { href: "#main", className: "skip-link", on: { click: skipToContent } }, t("skipToContent")),
    h("div", { className: "brand" }, t("appTitle")),
    nav,
    h("div", { className: "header-tools" }, bell, h("label", { htmlFor: "language-select", className: "visually-hidden" }, t("language")), language, userBox),
  );
  if (actionsRequested) showActionCount();
}

// The action center: its summary makes the bell's badge, its first page the panel, "more" the next.
// It waits until the list's first page is on screen, so the list comes first.
let actionsRequested = false;
function requestActions() {
  if (actionsRequested) return;
  actionsRequested = true;
  refreshActionCount();
}
document.addEventListener("portal:first-page", requestActions);
setTimeout(requestActions, 1500); // also on other views, and on a list that stays empty

const ACTION_PAGE = 20;
/** @type {{summary: Record<string, number>, value: any[], continuationToken: string | null} | null} */
let actionPage = null;

/** Every item of every kind: what the badge counts. */
function actionTotal() {
  return actionPage ? Object.values(actionPage.summary).reduce((sum, n) => sum + n, 0) : 0;
}

async function fetchActions(token = null) {
  const params = new URLSearchParams({ top: String(ACTION_PAGE) });
  if (token) params.set("continuationToken", token);
  return (await api(`/api/actions?${params}`)).body;
}

async function refreshActionCount() {
  try {
    actionPage = await fetchActions();
  } catch {
    return;
  }
  showActionCount();
}

function showActionCount() {
  const bell = document.getElementById("action-bell");
  if (!bell || !actionPage) return;
  const total = actionTotal();
  const badge = /** @type {HTMLElement} */ (bell.querySelector(".bell-count"));
  badge.textContent = formatCount(total);
  badge.hidden = false;
  bell.setAttribute("aria-label", t("actionCenterCount", { count: formatCount(total) }));
  bell.title = bell.getAttribute("aria-label") || "";
}

function actionItem(item, dialog) {
  return h("li", { dataset: { kind: item.kind } },
    item.kind === "ContactRequested" || item.kind === "ContactOverdue" ? icon("flame", { filled: true, label: enumLabel(item.kind) }) : null,
    h("a", { href: `#/leads/${encodeURIComponent(item.leadId)}`, on: { click: () => dialog.close() } }, item.customerName),
    h("span", { className: "kind" }, enumLabel(item.kind)),
    h("span", { className: "sub" }, t("due", { date: formatDateTime(item.dueDateTime) })),
    h("span", { className: "sub message" }, t(`actionMessage.${item.kind}`, { name: item.customerName })));
}

function actionSummary() {
  const parts = Object.entries(actionPage?.summary || {}).filter(([, n]) => n > 0)
    .map(([kind, n]) => h("li", { dataset: { kind } }, h("span", { className: "kind" }, enumLabel(kind)), " ", formatCount(n)));
  return h("ul", { className: "action-summary", attrs: { "data-testid": "action-summary", "aria-label": t("actionSummary") } }, ...parts);
}

async function openActionCenter() {
  await refreshActionCount();
  const headingId = "action-center-heading";
  const dialog = h("dialog", { className: "action-center", attrs: { "aria-labelledby": headingId } },
    h("h2", { id: headingId }, t("actionCenter")));
  const items = actionPage ? actionPage.value : [];
  if (!items.length) dialog.append(h("p", {}, actionPage ? t("noActions") : t("genericError")));
  else {
    const list = h("ul", { className: "action-list" }, ...items.map((item) => actionItem(item, dialog)));
    dialog.append(actionSummary(), list);
    let token = actionPage?.continuationToken || null;
    const more = h("button", { type: "button", className: "secondary more-actions", hidden: !token, on: { click: async () => {
      more.disabled = true;
      try {
        const next = await fetchActions(token);
        list.append(...next.value.map((item) => actionItem(item, dialog)));
        token = next.continuationToken;
      } catch {
        /* the button stays for another try */
      } finally {
        more.disabled = false;
        more.hidden = !token;
      }
    } } }, t("moreActions"));
    dialog.append(h("div", { className: "more" }, more));
  }
  dialog.append(h("div", { className: "dialog-buttons" }, h("button", { type: "button", className: "secondary", on: { click: () => dialog.close() } }, t("close"))));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

function skipToContent(event) {
  event.preventDefault();
  main.focus();
}

function rebuild() {
  translateStatic();
  buildHeader();
  listHeading.textContent = t("listHeading");
  list = new LeadList(listRoot);
  listShownHash = null;
  detail = new LeadDetail(otherRoot, { onChanged: () => { listStale = true; refreshActionCount(); } });
  currentView = null;
  route();
}

/** Signed in, but with neither role: say so instead of showing lists and counts that cannot load. */
function withoutRole() {
  return Boolean(user) && !user.roles.some((role) => ROLES.includes(role));
}

function showNoRole() {
  document.title = `${t("noRoleTitle")} — ${t("portalName")}`;
  listView.hidden = true;
  otherRoot.hidden = false;
  const heading = h("h1", { tabIndex: -1 }, t("noRoleTitle"));
  clear(otherRoot).append(heading, h("p", { className: "notice", attrs: { "data-testid": "no-role" } }, t("noRoleBody", { name: user.name })));
}

function route() {
  const current = parseRoute();
  if (currentView === "list" && !listView.hidden) listScrollY = window.scrollY;
  currentView = current.view;
  for (const link of document.querySelectorAll(".nav-link")) link.removeAttribute("aria-current");
  if (withoutRole()) {
    showNoRole();
    return;
  }
  if (current.view === "list") {
    const hash = location.hash || "#/leads";
    lastListHash = hash;
    document.title = `${t(TAB_TITLES[current.state.tab])} — ${t("portalName")}`;
    document.getElementById("nav-leads")?.setAttribute("aria-current", "page");
    document.getElementById("nav-leads")?.setAttribute("href", lastListHash);
    otherRoot.hidden = true;
    listView.hidden = false;
    if (hash === listShownHash && !listStale) {
      window.scrollTo(0, listScrollY);
    } else {
      listShownHash = hash;
      listStale = false;
      list.show(current.state);
    }
  } else {
    listView.hidden = true;
    otherRoot.hidden = false;
    window.scrollTo(0, 0);
    if (current.view === "lead") {
      document.title = `${t("sectionLead")} — ${t("portalName")}`;
      detail.show(current.id, lastListHash);
    } else if (current.view === "insights") {
      document.title = `${t("insights")} — ${t("portalName")}`;
      document.getElementById("nav-insights")?.setAttribute("aria-current", "page");
      showInsights(otherRoot, current.params);
    } else {
      document.title = `${t("settings")} — ${t("portalName")}`;
      document.getElementById("nav-settings")?.setAttribute("aria-current", "page");
      userReady.then((found) => { if (parseRoute().view === "settings" && !withoutRole()) showSettings(otherRoot, found); });
    }
  }
}

document.addEventListener("portal:auth-problem", (event) => {
  const banner = clear(document.getElementById("banner"));
  if (/** @type {CustomEvent<string>} */ (event).detail === "signedInWithoutAccess") banner.append(t("noPartner"));
  else banner.append(t("notSignedIn"), " ", h("a", { href: signInUrl() }, t("signIn")));
  banner.hidden = false;
});

window.addEventListener("hashchange", route);

// The list does not wait for `/.auth/me`: the header and the settings' edit rights follow when it answers.
const userReady = currentUser().then((found) => {
  user = found;
  return found;
});
rebuild();
userReady.then(() => {
  buildHeader();
  if (withoutRole()) route();
});
