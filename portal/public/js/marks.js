// @ts-check
// A lead's warning marks, each worded honestly: possible spam, an invalid address, a role address.

import { h, icon } from "./dom.js";
import { t, leadWarnings } from "./i18n.js";

const MARKS = {
  possibleSpam: { className: "spam", key: "spamWarning" },
  invalidContact: { className: "invalid-contact", key: "invalidContact" },
  roleAddress: { className: "role-address", key: "roleAddress" },
};

/** @param {{ emailValidity?: string | null, spamFlags?: string[] | null }} lead */
export function warningMarks(lead) {
  return leadWarnings(lead).map((warning) => {
    const { className, key } = MARKS[warning];
    return h("span", { className: `flag ${className}`, dataset: { warning } }, icon(warning === "roleAddress" ? "question" : "warning"), h("span", { className: "flag-text" }, t(key)));
  });
}
