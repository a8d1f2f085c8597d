// @ts-check
// The country filter: a searchable choice of country names in the UI language (a datalist built from
// Intl.DisplayNames), each chosen country kept as its alpha-2 code. Text that names no country is
// refused on the spot, so the API is never asked for a country that does not exist.

import { h, clear } from "./dom.js";
import { t, countryChoices, countryName } from "./i18n.js";

/**
 * The picker's element; `inputs.country` becomes its value (alpha-2 codes, comma-separated), the way
 * the list's filter form reads and writes its other fields.
 * @param {Record<string, unknown>} inputs
 */
export function countryPicker(inputs) {
  const choices = countryChoices();
  const byName = new Map(choices.map(([code, name]) => [name.toLocaleLowerCase(), code]));
  const codes = new Set(choices.map(([code]) => code));
  /** @type {string[]} */
  let chosen = [];

  const id = "filter-country";
  const listId = `${id}-list`;
  const errorId = `${id}-error`;
  const input = h("input", {
    type: "text",
    id,
    name: "country",
    placeholder: t("countryPlaceholder"),
    attrs: { list: listId, autocomplete: "off", "aria-describedby": `${id}-hint ${errorId}` },
  });
  const datalist = h("datalist", { id: listId }, ...choices.map(([, name]) => h("option", { value: name })));
  const chips = h("ul", { className: "chips", attrs: { "aria-label": t("countriesChosen"), "data-testid": "country-chips" } });
  const error = h("p", { className: "field-error", id: errorId, hidden: true });

  /** The alpha-2 code of a typed name or code, or null. */
  const resolve = (text) => {
    const typed = text.trim();
    if (!typed) return null;
    if (/^[a-z]{2}$/i.test(typed) && codes.has(typed.toUpperCase())) return typed.toUpperCase();
    return byName.get(typed.toLocaleLowerCase()) ?? null;
  };
  const showError = (show) => {
    error.textContent = show ? t("countryChoose") : "";
    error.hidden = !show;
    if (show) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  const apply = () => input.form?.requestSubmit();
  const paint = () => {
    clear(chips).append(...chosen.map((code) => h("li", {},
      h("button", {
        type: "button",
        className: "chip",
        attrs: { "aria-label": t("countryRemove", { name: countryName(code) }), "data-code": code },
        on: { click: () => { chosen = chosen.filter((c) => c !== code); paint(); apply(); } },
      }, countryName(code), h("span", { attrs: { "aria-hidden": "true" } }, " ×")))));
    chips.hidden = !chosen.length;
  };
  /** Take the typed text as a country: true when it named one (or nothing was typed). */
  const take = () => {
    if (!input.value.trim()) { showError(false); return true; }
    const code = resolve(input.value);
    if (!code) { showError(true); return false; }
    if (!chosen.includes(code)) chosen = [...chosen, code];
    input.value = "";
    showError(false);
    paint();
    return true;
  };

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !take()) event.preventDefault(); // no submit with a name that is no country
  });
  // A suggestion picked from the list arrives as one replacement, not as typing.
  input.addEventListener("input", (event) => {
    const inputType = /** @type {InputEvent} */ (event).inputType;
    if ((inputType === undefined || inputType === "insertReplacementText") && resolve(input.value)) {
      take();
      apply();
    } else if (!error.hidden) showError(false);
  });
  input.addEventListener("blur", () => { if (input.value.trim() && !resolve(input.value)) showError(true); });

  inputs.country = {
    get value() {
      const pending = resolve(input.value);
      return [...chosen, ...(pending && !chosen.includes(pending) ? [pending] : [])].join(",");
    },
    set value(text) {
      chosen = String(text || "").split(/[\s,;]+/).map((code) => code.toUpperCase()).filter((code) => codes.has(code));
      input.value = "";
      showError(false);
      paint();
    },
  };
  paint();
  return h(
    "div",
    { className: "field country-field" },
    h("label", { htmlFor: id }, t("country")),
    input,
    datalist,
    h("small", { id: `${id}-hint`, className: "hint" }, t("countryHint")),
    error,
    chips,
  );
}
