// @ts-check
// The export link: the file is fetched first, so an error (a 400 for a bad filter, a 403) is told
// in words on the page instead of being saved as a JSON file.

import { ApiError } from "./api.js";
import { h, announce } from "./dom.js";
import { t, errorMessage } from "./i18n.js";

/**
 * @param {HTMLAnchorElement} link the export link (its href is the export URL)
 * @param {HTMLElement} status where to say what went wrong
 */
export function fetchBeforeDownload(link, status) {
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    announce(t("exporting"));
    let response;
    try {
      response = await fetch(link.href, { credentials: "same-origin", headers: { Accept: "text/csv" } });
    } catch (error) {
      status.textContent = errorMessage(error);
      return;
    }
    if (!response.ok) {
      let body = null;
      try { body = await response.json(); } catch { /* no envelope: the status says enough */ }
      status.textContent = errorMessage(new ApiError(response.status, body));
      return;
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] || "leads.csv";
    const url = URL.createObjectURL(await response.blob());
    const save = h("a", { href: url, attrs: { download: name }, hidden: true });
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
}
