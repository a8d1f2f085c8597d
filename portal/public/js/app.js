// @ts-check
// The portal's shell: header (action center, language), the hash router, and the three views.

import { api, currentUser, signInUrl } from "./api.js";
import { h, clear, icon } from "./dom.js";
import { t, setLanguage, currentLanguage, LANGUAGES, translateStatic, enumLabel, formatDateTime, formatCount } from "./i18n.js";
import { parseRoute } from "./route.js";
import { LeadList } from "./list.js";
import { LeadDetail } from "./detail.js";
import { showSettings } from "./settings.js";

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
  const bellCount = h("span", { className: "bell-count", attrs: { "data-testid": "action-count" } }, "0");
  const bell = h("button", { type: "button", className: "icon-button bell", attrs: { id: "action-bell", "aria-haspopup": "dialog" }, on: { click: openActionCenter } }, icon("bell"), bellCount);
  const language = h("select", { id: "language-select", on: { change: (event) => { setLanguage(event.target.value); rebuild(); } } },
    ...LANGUAGES.map((code) => h("option", { value: code }, code === "nl" ? "Nederlands" : "English")));
  language.value = currentLanguage();
  const view = parseRoute().view;
  const nav = h("nav", { attrs: { "aria-label": t("appTitle") } },
    h("a", { href: lastListHash, className: "nav-link", attrs: { id: "nav-leads", "aria-current": view === "list" ? "page" : null } }, t("appTitle")),
    h("a", { href: "#/settings", className: "nav-link", attrs: { id: "nav-settings", "aria-current": view === "settings" ? "page" : null } }, t("settings")));
  const userBox = user ? h("span", { className: "user" }, user.name, " · ", h("a", { href: "/.auth/logout" }, t("signOut"))) : null;
  clear(document.getElementById("header")).append(
    // The hash is the router's: the skip link moves focus itself instead of navigating.
    h("a", { href: "#main", className: "skip-link", on: { click: skipToContent } }, t("skipToContent")),
    h("div", { className: "brand" }, t("appTitle")),
    nav,
    h("div", { className: "header-tools" }, bell, h("label", { htmlFor: "language-select", className: "visually-hidden" }, t("language")), language, userBox),
  );
  if (actionsRequested) refreshActionCount();
}

// The action center reads every open lead: it waits until the list's first page is on screen.
let actionsRequested = false;
function requestActions() {
  if (actionsRequested) return;
  actionsRequested = true;
  refreshActionCount();
}
document.addEventListener("portal:first-page", requestActions);
setTimeout(requestActions, 1500); // also on other views, and on a list that stays empty

let actions = [];
async function refreshActionCount() {
  try {
    actions = (await api("/api/actions")).body.value;
  } catch {
    return;
  }
  const bell = document.getElementById("action-bell");
  if (!bell) return;
  bell.querySelector(".bell-count").textContent = formatCount(actions.length);
  bell.setAttribute("aria-label", t("actionCenterCount", { count: actions.length }));
  bell.title = bell.getAttribute("aria-label");
}

async function openActionCenter() {
  await refreshActionCount();
  const headingId = "action-center-heading";
  const dialog = h("dialog", { className: "action-center", attrs: { "aria-labelledby": headingId } },
    h("h2", { id: headingId }, t("actionCenter")));
  if (!actions.length) dialog.append(h("p", {}, t("noActions")));
  else {
    dialog.append(h("ul", { className: "action-list" }, ...actions.map((item) => h("li", { dataset: { kind: item.kind } },
      item.kind === "ContactRequested" ? icon("flame", { filled: true, label: enumLabel(item.kind) }) : null,
      h("a", { href: `#/leads/${encodeURIComponent(item.leadId)}`, on: { click: () => dialog.close() } }, item.customerName),
      h("span", { className: "kind" }, enumLabel(item.kind)),
      h("span", { className: "sub" }, t("due", { date: formatDateTime(item.dueDateTime) })),
      currentLanguage() === "en" ? h("span", { className: "sub message" }, item.message) : null))));
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
