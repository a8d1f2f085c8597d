// @ts-check
// Insights (`#/insights?from=&to=&interval=&groupBy=`): how fast the team answers, what it accepts
// and wins, and what is in the pipeline, per UTC period. Charts are plain SVG built here (no
// library, nothing inline for the CSP), each with a text alternative and a table view; the
// figures download as CSV.

import { api } from "./api.js";
import { h, clear } from "./dom.js";
import { currentLanguage, locale, enumLabel, formatMoney, formatCount, countryName } from "./i18n.js";

/** @type {string[]} The API's `interval` values. */
export const INTERVALS = ["day", "week", "month"];
/** @type {string[]} The API's `groupBy` values. */
export const GROUP_BYS = ["none", "leadSource", "callToAction", "offer", "country", "qualification", "owner"];
// The API refuses a longer range.
const MAX_RANGE_DAYS = 3 * 366;

/**
 * The page's own texts; both languages have the same keys (a test checks them).
 * @type {Record<string, Record<string, string>>}
 */
export const INSIGHTS_MESSAGES = {
  en: {
    title: "Insights",
    utcNote: "Periods are UTC days; weeks start on Monday. Each event counts on the day it happened: received on arrival, answered on the answer's day.",
    from: "From",
    to: "To",
    interval: "Interval",
    groupBy: "Group by",
    show: "Show",
    download: "Download CSV",
    "interval.day": "Day", "interval.week": "Week", "interval.month": "Month",
    "groupBy.none": "No grouping", "groupBy.leadSource": "Source", "groupBy.callToAction": "Call to action",
    "groupBy.offer": "Offer", "groupBy.country": "Country", "groupBy.qualification": "Qualification", "groupBy.owner": "Owner",
    loading: "Loading…",
    badRange: "Choose a start and end date, the end not before the start, at most three years apart.",
    summary: "Totals",
    received: "Received",
    answered: "Answered",
    accepted: "Accepted",
    declined: "Declined",
    expired: "Expired unanswered",
    won: "Won",
    lost: "Lost",
    acceptanceRate: "Acceptance rate",
    winRate: "Win rate",
    medianResponseHours: "Median response (h)",
    p90ResponseHours: "90th percentile response (h)",
    answeredWithin24h: "Answered within 24 h",
    contactRequestsAnsweredWithin72h: "Contact requests answered within 72 h",
    wonValue: "Won value",
    pipelineValue: "Pipeline",
    period: "Period",
    group: "Group",
    currency: "Currency",
    reason: "Reason",
    count: "Count",
    tableView: "Show as table",
    chartVolume: "Leads received and answered",
    chartRates: "Acceptance and win rates",
    chartResponse: "Response time: median and 90th percentile",
    chartExpired: "Leads expired unanswered",
    chartReasons: "Decline reasons",
    chartMoney: "Won value and pipeline by currency",
    chartGroups: "Received, accepted and won by group",
    line24: "24 h",
    line72: "72 h",
    altVolume: "{received} leads received and {answered} answered in {periods} periods; the busiest period was {busiest} with {most} received.",
    altRates: "Acceptance rate {acceptance}, win rate {win} over the whole range.",
    altResponse: "Median response {median} h and 90th percentile {p90} h over the whole range; {within24} answered within 24 hours.",
    altExpired: "{expired} leads expired unanswered in the range.",
    altReasons: "Declined leads by reason: {list}.",
    altMoney: "Won value {won}; pipeline {pipeline}.",
    altGroups: "By group: {list}.",
    noData: "nothing yet",
    none: "—",
    noGroup: "(none)",
  },
  nl: {
    title: "Inzichten",
    utcNote: "Perioden zijn UTC-dagen; weken beginnen op maandag. Elke gebeurtenis telt op de dag waarop ze plaatsvond: ontvangen bij binnenkomst, beantwoord op de dag van het antwoord.",
    from: "Van",
    to: "Tot en met",
    interval: "Interval",
    groupBy: "Groeperen op",
    show: "Tonen",
    download: "CSV downloaden",
    "interval.day": "Dag", "interval.week": "Week", "interval.month": "Maand",
    "groupBy.none": "Geen groepering", "groupBy.leadSource": "Bron", "groupBy.callToAction": "Oproep tot actie",
    "groupBy.offer": "Aanbieding", "groupBy.country": "Land", "groupBy.qualification": "Kwalificatie", "groupBy.owner": "Eigenaar",
    loading: "Laden…",
    badRange: "Kies een begin- en einddatum, het einde niet vóór het begin, hooguit drie jaar uit elkaar.",
    summary: "Totalen",
    received: "Ontvangen",
    answered: "Beantwoord",
    accepted: "Geaccepteerd",
    declined: "Afgewezen",
    expired: "Verlopen zonder antwoord",
    won: "Gewonnen",
    lost: "Verloren",
    acceptanceRate: "Acceptatiegraad",
    winRate: "Winstpercentage",
    medianResponseHours: "Mediane reactietijd (u)",
    p90ResponseHours: "90e percentiel reactietijd (u)",
    answeredWithin24h: "Binnen 24 u beantwoord",
    contactRequestsAnsweredWithin72h: "Contactverzoeken binnen 72 u beantwoord",
    wonValue: "Gewonnen waarde",
    pipelineValue: "Pijplijn",
    period: "Periode",
    group: "Groep",
    currency: "Valuta",
    reason: "Reden",
    count: "Aantal",
    tableView: "Als tabel tonen",
    chartVolume: "Leads ontvangen en beantwoord",
    chartRates: "Acceptatiegraad en winstpercentage",
    chartResponse: "Reactietijd: mediaan en 90e percentiel",
    chartExpired: "Leads verlopen zonder antwoord",
    chartReasons: "Redenen van afwijzing",
    chartMoney: "Gewonnen waarde en pijplijn per valuta",
    chartGroups: "Ontvangen, geaccepteerd en gewonnen per groep",
    line24: "24 u",
    line72: "72 u",
    altVolume: "{received} leads ontvangen en {answered} beantwoord in {periods} perioden; de drukste periode was {busiest} met {most} ontvangen.",
    altRates: "Acceptatiegraad {acceptance}, winstpercentage {win} over de hele periode.",
    altResponse: "Mediane reactietijd {median} u en 90e percentiel {p90} u over de hele periode; {within24} binnen 24 uur beantwoord.",
    altExpired: "{expired} leads verlopen zonder antwoord in deze periode.",
    altReasons: "Afgewezen leads per reden: {list}.",
    altMoney: "Gewonnen waarde {won}; pijplijn {pipeline}.",
    altGroups: "Per groep: {list}.",
    noData: "nog niets",
    none: "—",
    noGroup: "(geen)",
  },
};

/**
 * @param {string} key
 * @param {Record<string, unknown>} [values]
 */
function tt(key, values = {}) {
  const text = INSIGHTS_MESSAGES[currentLanguage()]?.[key] ?? INSIGHTS_MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

/** @param {Date} date */
const isoDay = (date) => date.toISOString().slice(0, 10);

/**
 * The page's state from the route's query; the default is the last 12 weeks by week.
 * @param {URLSearchParams} params
 * @param {Date} [today]
 */
export function insightsState(params, today = new Date()) {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const to = day.test(params.get("to") || "") ? /** @type {string} */ (params.get("to")) : isoDay(today);
  const start = new Date(`${to}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - 83);
  const from = day.test(params.get("from") || "") ? /** @type {string} */ (params.get("from")) : isoDay(start);
  const interval = INTERVALS.includes(params.get("interval") || "") ? /** @type {string} */ (params.get("interval")) : "week";
  const groupBy = GROUP_BYS.includes(params.get("groupBy") || "") ? /** @type {string} */ (params.get("groupBy")) : "none";
  return { from, to, interval, groupBy };
}

/** @param {{from: string, to: string, interval: string, groupBy: string}} state */
export function insightsHash(state) {
  return `#/insights?${new URLSearchParams(state).toString()}`;
}

/** @param {{from: string, to: string}} state */
function rangeIsValid({ from, to }) {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  return Number.isFinite(start) && Number.isFinite(end) && end >= start && (end - start) / 86_400_000 + 1 <= MAX_RANGE_DAYS;
}

// -- formatting ------------------------------------------------------------------------------

/** @param {number | null | undefined} share */
function percent(share) {
  if (share === null || share === undefined) return tt("none");
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(share);
}

/** @param {number | null | undefined} hours */
function hours(hours) {
  if (hours === null || hours === undefined) return tt("none");
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(hours);
}

/** @param {string} period @param {string} interval */
function periodLabel(period, interval) {
  const date = new Date(`${period}T00:00:00Z`);
  /** @type {Intl.DateTimeFormatOptions} */
  const options = interval === "month" ? { year: "numeric", month: "short", timeZone: "UTC" } : { day: "numeric", month: "short", year: "2-digit", timeZone: "UTC" };
  return new Intl.DateTimeFormat(locale(), options).format(date);
}

/** @param {string | null} group @param {string} groupBy */
function groupLabel(group, groupBy) {
  if (group === null || group === undefined) return groupBy === "none" ? tt("summary") : tt("noGroup");
  if (groupBy === "country") return countryName(group);
  if (["leadSource", "callToAction", "qualification"].includes(groupBy)) return enumLabel(group);
  return group;
}

/** @param {Record<string, number>} amounts */
function moneyList(amounts) {
  const entries = Object.entries(amounts || {});
  return entries.length ? entries.map(([currency, value]) => formatMoney(value, currency)).join(", ") : tt("noData");
}

// -- charts ----------------------------------------------------------------------------------

const SVG_NS = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 34 };

/** @param {string} tag @param {Record<string, string | number>} [attrs] @param {...(Node | string)} children */
function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child);
  return element;
}

/** @param {number} max */
function niceMax(max) {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / step) * step;
}

/**
 * A chart over periods: bars for `bars`, lines for `lines`, optional horizontal reference lines.
 * @param {{labels: string[], bars?: {name: string, values: number[]}[], lines?: {name: string, values: (number | null)[]}[],
 *          max?: number, refs?: {value: number, label: string}[], format?: (v: number) => string, alt: string}} spec
 */
function periodChart(spec) {
  const { labels, bars = [], lines = [], refs = [] } = spec;
  const format = spec.format || ((value) => formatCount(value));
  const values = [...bars.flatMap((b) => b.values), ...lines.flatMap((l) => l.values.filter((v) => v !== null)), ...refs.map((r) => r.value)];
  const max = spec.max ?? niceMax(Math.max(0, .../** @type {number[]} */ (values)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, labels.length);
  const y = (/** @type {number} */ value) => PAD.top + plotH - (Math.min(value, max) / max) * plotH;
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": spec.alt, class: "chart" });
  chart.append(svg("title", {}, spec.alt));
  for (const tick of [0, max / 2, max]) {
    chart.append(svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(tick), y2: y(tick), class: "grid" }));
    chart.append(svg("text", { x: PAD.left - 4, y: y(tick) + 4, class: "axis", "text-anchor": "end" }, format(tick)));
  }
  const every = Math.ceil(labels.length / 8);
  labels.forEach((label, index) => {
    if (index % every === 0) chart.append(svg("text", { x: PAD.left + slot * (index + 0.5), y: HEIGHT - 10, class: "axis", "text-anchor": "middle" }, label));
  });
  const barWidth = (slot * 0.8) / Math.max(1, bars.length);
  bars.forEach((bar, series) => {
    bar.values.forEach((value, index) => {
      const x = PAD.left + slot * index + slot * 0.1 + barWidth * series;
      chart.append(svg("rect", { x, y: y(value), width: Math.max(1, barWidth - 1), height: PAD.top + plotH - y(value), class: `series-${series}` }));
    });
  });
  lines.forEach((line, series) => {
    const points = line.values.map((value, index) => (value === null ? null : `${PAD.left + slot * (index + 0.5)},${y(value)}`));
    const path = points.reduce((text, point, index) => (point === null ? text : `${text}${text && points[index - 1] !== null ? " L" : " M"}${point}`), "").trim();
    if (path) chart.append(svg("path", { d: path, class: `line line-${series + bars.length}` }));
    // A dot per point, so a single period (or one between gaps) still shows.
    line.values.forEach((value, index) => {
      if (value !== null) chart.append(svg("circle", { cx: PAD.left + slot * (index + 0.5), cy: y(value), r: 3, class: `dot series-${series + bars.length}` }));
    });
  });
  for (const ref of refs) {
    chart.append(svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(ref.value), y2: y(ref.value), class: "ref" }));
    chart.append(svg("text", { x: WIDTH - PAD.right - 2, y: y(ref.value) - 3, class: "ref-label", "text-anchor": "end" }, ref.label));
  }
  const legend = h("ul", { className: "legend" },
    ...[...bars, ...lines].map((item, index) => h("li", {}, h("span", { className: `swatch series-${index}`, attrs: { "aria-hidden": "true" } }), item.name)));
  return h("div", {}, chart, legend);
}

/**
 * Horizontal bars for categories (decline reasons, currencies, groups).
 * @param {{rows: {label: string, values: number[]}[], names: string[], format?: (v: number) => string, alt: string}} spec
 */
function categoryChart(spec) {
  const format = spec.format || ((value) => formatCount(value));
  const rowHeight = 14 * Math.max(1, spec.names.length) + 10;
  const height = Math.max(40, spec.rows.length * rowHeight + 10);
  const left = 190;
  const max = niceMax(Math.max(0, ...spec.rows.flatMap((row) => row.values)));
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img", "aria-label": spec.alt, class: "chart" });
  chart.append(svg("title", {}, spec.alt));
  spec.rows.forEach((row, index) => {
    const top = 5 + index * rowHeight;
    chart.append(svg("text", { x: left - 6, y: top + rowHeight / 2, class: "axis", "text-anchor": "end" }, row.label.slice(0, 28)));
    row.values.forEach((value, series) => {
      const width = ((WIDTH - left - 90) * value) / max;
      chart.append(svg("rect", { x: left, y: top + series * 14, width: Math.max(value ? 1 : 0, width), height: 12, class: `series-${series}` }));
      chart.append(svg("text", { x: left + width + 4, y: top + series * 14 + 10, class: "axis" }, format(value)));
    });
  });
  const legend = spec.names.length > 1
    ? h("ul", { className: "legend" }, ...spec.names.map((name, index) => h("li", {}, h("span", { className: `swatch series-${index}`, attrs: { "aria-hidden": "true" } }), name)))
    : null;
  return h("div", {}, chart, legend);
}

/**
 * A chart as a figure: caption, the drawing (with its text alternative), the text alternative
 * visible, and the same figures as a table.
 * @param {string} id @param {string} caption @param {Node} drawing @param {string} alt
 * @param {string[]} head @param {(string | number)[][]} rows
 */
function figure(id, caption, drawing, alt, head, rows) {
  const cell = (/** @type {string | number} */ value, /** @type {number} */ index) =>
    (index === 0 ? h("th", { attrs: { scope: "row" } }, String(value)) : h("td", {}, String(value)));
  const table = h("table", { className: "insight-table" },
    h("thead", {}, h("tr", {}, ...head.map((label) => h("th", { attrs: { scope: "col" } }, label)))),
    h("tbody", {}, ...rows.map((row) => h("tr", {}, ...row.map(cell)))));
  return h("figure", { className: "insight-chart", attrs: { id, "aria-labelledby": `${id}-caption` } },
    h("figcaption", { id: `${id}-caption` }, caption),
    drawing,
    h("p", { className: "chart-alt" }, alt),
    h("details", {}, h("summary", {}, tt("tableView")), h("div", { className: "table-wrap" }, table)));
}

// -- CSV ---------------------------------------------------------------------------------------

/** A cell a spreadsheet will not run as a formula (as the lead export does), quoted per RFC 4180. */
export function csvCell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const COUNT_FIGURES = ["received", "accepted", "declined", "expired", "won", "lost"];
const SHARE_FIGURES = ["acceptanceRate", "winRate", "answeredWithin24h", "contactRequestsAnsweredWithin72h"];
const HOUR_FIGURES = ["medianResponseHours", "p90ResponseHours"];

/**
 * The answer's series as CSV: one row per group and period; money and decline reasons get a
 * column per currency or reason found in the answer.
 * @param {any} answer
 */
export function insightsCsv(answer) {
  const currencies = new Set();
  const reasons = new Set();
  for (const row of answer.series) {
    Object.keys(row.wonValue).forEach((c) => currencies.add(c));
    Object.keys(row.pipelineValue).forEach((c) => currencies.add(c));
    Object.keys(row.declineReasons).forEach((r) => reasons.add(r));
  }
  const money = [...currencies].sort();
  const why = [...reasons].sort();
  const head = ["Group", "Period", ...COUNT_FIGURES, ...SHARE_FIGURES, ...HOUR_FIGURES,
    ...money.map((c) => `wonValue ${c}`), ...money.map((c) => `pipelineValue ${c}`), ...why.map((r) => `declined ${r}`)];
  const lines = [head.map(csvCell).join(",")];
  for (const row of answer.series) {
    lines.push([row.group, row.period, ...COUNT_FIGURES.map((f) => row[f]), ...SHARE_FIGURES.map((f) => row[f]), ...HOUR_FIGURES.map((f) => row[f]),
      ...money.map((c) => row.wonValue[c] ?? 0), ...money.map((c) => row.pipelineValue[c] ?? 0), ...why.map((r) => row.declineReasons[r] ?? 0)].map(csvCell).join(","));
  }
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}

// -- the page ----------------------------------------------------------------------------------

/** @param {any[]} series @param {string[]} periods */
function byPeriod(series, periods) {
  const map = new Map(series.map((row) => [row.period, row]));
  return periods.map((period) => map.get(period));
}

/** @param {{from: string, to: string, interval: string, groupBy: string}} state */
function form(state) {
  const from = h("input", { type: "date", id: "insights-from", value: state.from, required: true });
  const to = h("input", { type: "date", id: "insights-to", value: state.to, required: true });
  const interval = h("select", { id: "insights-interval" }, ...INTERVALS.map((value) => h("option", { value }, tt(`interval.${value}`))));
  interval.value = state.interval;
  const groupBy = h("select", { id: "insights-group-by" }, ...GROUP_BYS.map((value) => h("option", { value }, tt(`groupBy.${value}`))));
  groupBy.value = state.groupBy;
  const field = (/** @type {HTMLElement} */ control, /** @type {string} */ label) => h("div", { className: "field" }, h("label", { htmlFor: control.id }, label), control);
  return h("form", {
    className: "insights-form",
    attrs: { "aria-label": tt("title") },
    on: {
      submit: (/** @type {Event} */ event) => {
        event.preventDefault();
        location.hash = insightsHash({ from: from.value, to: to.value, interval: interval.value, groupBy: groupBy.value });
      },
    },
  }, field(from, tt("from")), field(to, tt("to")), field(interval, tt("interval")), field(groupBy, tt("groupBy")),
  h("div", { className: "field" }, h("button", { type: "submit" }, tt("show"))));
}

/**
 * Show the page for the route's query.
 * @param {HTMLElement} root
 * @param {URLSearchParams} params
 */
export async function showInsights(root, params) {
  const state = insightsState(params);
  const heading = h("h1", { tabIndex: -1 }, tt("title"));
  const status = h("p", { attrs: { role: "status" } }, tt("loading"));
  clear(root).append(heading, h("p", { className: "hint", attrs: { "data-testid": "insights-utc" } }, tt("utcNote")), form(state), status);
  heading.focus({ preventScroll: true });
  if (!rangeIsValid(state)) {
    status.textContent = tt("badRange");
    return;
  }
  const query = (/** @type {string} */ groupBy) => `/api/insights?${new URLSearchParams({ ...state, groupBy })}`;
  let overall;
  let grouped;
  try {
    [overall, grouped] = await Promise.all([
      api(query("none")).then((answer) => answer.body),
      state.groupBy === "none" ? null : api(query(state.groupBy)).then((answer) => answer.body),
    ]);
  } catch (error) {
    status.textContent = (error && error.message) || "Error";
    status.className = "error";
    return;
  }
  status.remove();
  const answer = grouped || overall;
  const csvUrl = URL.createObjectURL(new Blob([insightsCsv(answer)], { type: "text/csv;charset=utf-8" }));
  root.append(h("p", {}, h("a", { className: "button secondary", href: csvUrl, attrs: { id: "insights-csv", download: `insights-${state.from}-${state.to}-${state.groupBy}.csv` } }, tt("download"))));
  root.append(totalsTable(overall.totals));
  root.append(h("div", { className: "insight-grid" }, ...charts(overall, state), ...(grouped ? [groupChart(grouped, state)] : [])));
}

/** @param {any} totals */
function totalsTable(totals) {
  const cells = [
    ["received", formatCount(totals.received)],
    ["answered", formatCount(totals.accepted + totals.declined)],
    ["acceptanceRate", percent(totals.acceptanceRate)],
    ["winRate", percent(totals.winRate)],
    ["medianResponseHours", hours(totals.medianResponseHours)],
    ["p90ResponseHours", hours(totals.p90ResponseHours)],
    ["answeredWithin24h", percent(totals.answeredWithin24h)],
    ["contactRequestsAnsweredWithin72h", percent(totals.contactRequestsAnsweredWithin72h)],
    ["expired", formatCount(totals.expired)],
    ["wonValue", moneyList(totals.wonValue)],
    ["pipelineValue", moneyList(totals.pipelineValue)],
  ];
  return h("section", { attrs: { "aria-labelledby": "insights-totals" } },
    h("h2", { id: "insights-totals" }, tt("summary")),
    h("dl", { className: "insight-totals", attrs: { "data-testid": "insights-totals" } },
      ...cells.map(([key, value]) => h("div", { dataset: { figure: key } }, h("dt", {}, tt(key)), h("dd", {}, value)))));
}

/** @param {any} overall @param {{interval: string}} state */
function charts(overall, state) {
  const periods = [...new Set(overall.series.map((/** @type {any} */ row) => row.period))];
  const rows = byPeriod(overall.series, /** @type {string[]} */ (periods));
  const labels = rows.map((row) => periodLabel(row.period, state.interval));
  const totals = overall.totals;
  const received = rows.map((row) => row.received);
  const answered = rows.map((row) => row.accepted + row.declined);
  const busiest = received.indexOf(Math.max(0, ...received));
  const list = (/** @type {[string, string][]} */ pairs) => (pairs.length ? pairs.map(([a, b]) => `${a} ${b}`).join(", ") : tt("noData"));

  const volumeAlt = tt("altVolume", { received: formatCount(totals.received), answered: formatCount(totals.accepted + totals.declined), periods: rows.length, busiest: labels[busiest] ?? tt("none"), most: formatCount(received[busiest] ?? 0) });
  const ratesAlt = tt("altRates", { acceptance: percent(totals.acceptanceRate), win: percent(totals.winRate) });
  const responseAlt = tt("altResponse", { median: hours(totals.medianResponseHours), p90: hours(totals.p90ResponseHours), within24: percent(totals.answeredWithin24h) });
  const expiredAlt = tt("altExpired", { expired: formatCount(totals.expired) });
  const reasons = Object.entries(totals.declineReasons);
  const reasonsAlt = tt("altReasons", { list: list(reasons.map(([reason, n]) => [enumLabel(reason), formatCount(n)])) });
  const currencies = [...new Set([...Object.keys(totals.wonValue), ...Object.keys(totals.pipelineValue)])].sort();
  const moneyAlt = tt("altMoney", { won: moneyList(totals.wonValue), pipeline: moneyList(totals.pipelineValue) });
  const rateValues = (/** @type {string} */ key) => rows.map((row) => (row[key] === null ? null : row[key] * 100));

  return [
    figure("chart-volume", tt("chartVolume"), periodChart({ labels, bars: [{ name: tt("received"), values: received }, { name: tt("answered"), values: answered }], alt: volumeAlt }), volumeAlt,
      [tt("period"), tt("received"), tt("answered"), tt("accepted"), tt("declined")],
      rows.map((row, i) => [labels[i], row.received, row.accepted + row.declined, row.accepted, row.declined])),
    figure("chart-rates", tt("chartRates"), periodChart({ labels, lines: [{ name: tt("acceptanceRate"), values: rateValues("acceptanceRate") }, { name: tt("winRate"), values: rateValues("winRate") }], max: 100, format: (v) => `${Math.round(v)}%`, alt: ratesAlt }), ratesAlt,
      [tt("period"), tt("acceptanceRate"), tt("winRate"), tt("won"), tt("lost")],
      rows.map((row, i) => [labels[i], percent(row.acceptanceRate), percent(row.winRate), row.won, row.lost])),
    figure("chart-response", tt("chartResponse"), periodChart({
      labels,
      lines: [{ name: tt("medianResponseHours"), values: rows.map((row) => row.medianResponseHours) }, { name: tt("p90ResponseHours"), values: rows.map((row) => row.p90ResponseHours) }],
      refs: [{ value: 24, label: tt("line24") }, { value: 72, label: tt("line72") }],
      format: (v) => hours(v),
      alt: responseAlt,
    }), responseAlt,
    [tt("period"), tt("medianResponseHours"), tt("p90ResponseHours"), tt("answeredWithin24h"), tt("contactRequestsAnsweredWithin72h")],
    rows.map((row, i) => [labels[i], hours(row.medianResponseHours), hours(row.p90ResponseHours), percent(row.answeredWithin24h), percent(row.contactRequestsAnsweredWithin72h)])),
    figure("chart-expired", tt("chartExpired"), periodChart({ labels, bars: [{ name: tt("expired"), values: rows.map((row) => row.expired) }], alt: expiredAlt }), expiredAlt,
      [tt("period"), tt("expired")], rows.map((row, i) => [labels[i], row.expired])),
    figure("chart-reasons", tt("chartReasons"), categoryChart({ rows: reasons.map(([reason, n]) => ({ label: enumLabel(reason), values: [n] })), names: [tt("declined")], alt: reasonsAlt }), reasonsAlt,
      [tt("reason"), tt("count")], reasons.map(([reason, n]) => [enumLabel(reason), n])),
    figure("chart-money", tt("chartMoney"), categoryChart({
      rows: currencies.map((currency) => ({ label: currency, values: [totals.wonValue[currency] ?? 0, totals.pipelineValue[currency] ?? 0] })),
      names: [tt("wonValue"), tt("pipelineValue")],
      format: (v) => new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(v),
      alt: moneyAlt,
    }), moneyAlt,
    [tt("currency"), tt("wonValue"), tt("pipelineValue")],
    currencies.map((currency) => [currency, formatMoney(totals.wonValue[currency] ?? 0, currency), formatMoney(totals.pipelineValue[currency] ?? 0, currency)])),
  ];
}

/** @param {any} grouped @param {{groupBy: string, interval: string}} state */
function groupChart(grouped, state) {
  /** @type {Map<string | null, {received: number, accepted: number, won: number, declined: number, lost: number}>} */
  const sums = new Map();
  for (const row of grouped.series) {
    const sum = sums.get(row.group) || { received: 0, accepted: 0, won: 0, declined: 0, lost: 0 };
    for (const key of /** @type {const} */ (["received", "accepted", "won", "declined", "lost"])) sum[key] += row[key];
    sums.set(row.group, sum);
  }
  const entries = [...sums.entries()].sort((a, b) => b[1].received - a[1].received);
  const share = (/** @type {number} */ part, /** @type {number} */ whole) => percent(whole ? part / whole : null);
  const alt = tt("altGroups", { list: entries.map(([group, sum]) => `${groupLabel(group, state.groupBy)} ${formatCount(sum.received)}`).join(", ") || tt("noData") });
  return figure("chart-groups", `${tt("chartGroups")} (${tt(`groupBy.${state.groupBy}`)})`, categoryChart({
    rows: entries.map(([group, sum]) => ({ label: groupLabel(group, state.groupBy), values: [sum.received, sum.accepted, sum.won] })),
    names: [tt("received"), tt("accepted"), tt("won")],
    alt,
  }), alt,
  [tt("group"), tt("received"), tt("accepted"), tt("won"), tt("acceptanceRate"), tt("winRate")],
  entries.map(([group, sum]) => [groupLabel(group, state.groupBy), sum.received, sum.accepted, sum.won, share(sum.accepted, sum.accepted + sum.declined), share(sum.won, sum.won + sum.lost)]));
}
