// @ts-check
import { localDayStart } from "./i18n.js";

// The hash route: `#/leads?tab=...&filters` (the list), `#/leads/{id}` (one lead), `#/settings`,
// `#/insights?from=&to=&interval=&groupBy=`.
// Emails link to `{PORTAL_BASE_URL}/#/leads/{id}`, so that form must keep working.

/** @type {string[]} The API's `tab` values. */
export const TABS = ["marketplace", "qualified", "favorites"];

/** @type {Record<string, string[]>} The API's enum filters and their values, in the API's order. */
export const ENUM_FILTERS = {
  callToAction: ["ContactMe", "TestDrive", "FreeTrial", "DownloadNow"],
  leadSource: ["AppSource", "AzureMarketplace", "AzurePortal"],
  leadType: ["Offer", "Profile"],
  quality: ["High", "Low"],
  stage: ["Received", "Accepted", "Archived", "Informational"],
  status: ["Received", "Accepted", "Won", "Lost", "Declined", "Expired"],
  emailValidity: ["Valid", "Invalid", "Spam", "Unknown"],
  phoneValidity: ["Valid", "Invalid", "Unknown"],
  qualification: ["Direct", "MarketingQualified", "SalesQualified"],
};
// Filters kept in the URL besides the enum ones; `createdUntil` is an inclusive day.
/** @type {string[]} */
export const TEXT_FILTERS = ["country", "customerName", "createdFrom", "createdUntil", "q", "owner"];
/** @type {string[]} The list's `sort` values; the first is the API's default. */
export const SORTS = ["created", "expiry"];

// What a text filter may hold (a hand-edited or old link's bad value is dropped, never sent to the
// API): the cleaned value, or "" to drop it.
const VALID_TEXT = {
  country: (value) => value.split(/[\s,;]+/).filter((code) => /^[a-z]{2}$/i.test(code)).map((code) => code.toUpperCase()).join(","),
  createdFrom: (value) => (isDay(value) ? value : ""),
  createdUntil: (value) => (isDay(value) ? value : ""),
};

function isDay(value) {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(new Date(`${value}T00:00:00Z`).getTime());
}

export function parseRoute(hash = location.hash) {
  const raw = hash.replace(/^#/, "") || "/leads";
  const [path, query = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "leads" && parts.length === 2) return { view: "lead", id: decodeURIComponent(parts[1]) };
  if (parts[0] === "settings") return { view: "settings" };
  if (parts[0] === "insights") return { view: "insights", params: new URLSearchParams(query) };
  return { view: "list", state: listState(new URLSearchParams(query)) };
}

/** The list's tab and filters from the URL; unknown values are dropped. */
export function listState(params) {
  const tab = TABS.includes(params.get("tab")) ? params.get("tab") : "marketplace";
  const filters = {};
  for (const [name, allowed] of Object.entries(ENUM_FILTERS)) {
    const values = (params.get(name) || "").split(",").filter((value) => allowed.includes(value));
    if (values.length) filters[name] = values;
  }
  for (const name of TEXT_FILTERS) {
    const value = (params.get(name) || "").trim();
    const clean = value && (VALID_TEXT[name] ? VALID_TEXT[name](value) : value);
    if (clean) filters[name] = clean;
  }
  const sort = SORTS.includes(params.get("sort")) ? params.get("sort") : SORTS[0];
  return { tab, filters, sort };
}

export function listHash({ tab, filters, sort = SORTS[0] }) {
  const params = new URLSearchParams();
  if (tab !== "marketplace") params.set("tab", tab);
  if (sort !== SORTS[0]) params.set("sort", sort);
  for (const [name, value] of Object.entries(filters)) {
    if (Array.isArray(value) ? value.length : value) params.set(name, Array.isArray(value) ? value.join(",") : value);
  }
  const query = params.toString().replaceAll("%2C", ",");
  return `#/leads${query ? `?${query}` : ""}`;
}

/**
 * The API's query for a tab and filters: the same for the list, the counts and the export.
 * @param {string} tab
 * @param {Record<string, string | string[]>} filters
 * @returns {URLSearchParams}
 */
export function apiParams(tab, filters) {
  const params = new URLSearchParams({ tab });
  for (const [name, value] of Object.entries(filters)) {
    // The user's days are local days: their bounds go out as date-times with the browser's offset.
    if (name === "createdFrom") params.set(name, localDayStart(/** @type {string} */ (value)));
    else if (name === "createdUntil") params.set("createdTo", localDayStart(/** @type {string} */ (value), 1)); // the API's end is exclusive
    else if (name === "country") params.set(name, /** @type {string} */ (value).split(/[\s,;]+/).filter(Boolean).map((c) => c.toUpperCase()).join(","));
    else params.set(name, Array.isArray(value) ? value.join(",") : value);
  }
  return params;
}
