// @ts-check
// A Partner Center lead's own card: where it came from, where writing back to it stands, and a
// link to the referral in Partner Center. Kept apart from the rest of the lead page.

import { h } from "./dom.js";
import { t, formatDateTime } from "./i18n.js";

/**
 * Partner Center's Referrals workspace, where a partner's leads are. Microsoft documents this
 * address ("Referrals workspace" in the commercial marketplace docs); a referral's own page is
 * the workspace address followed by the referral's id.
 */
export const REFERRALS_WORKSPACE = "https://partner.microsoft.com/dashboard/referrals/v2/leads";

/** @param {string} referralId */
export function referralUrl(referralId) {
  return `${REFERRALS_WORKSPACE}/${encodeURIComponent(referralId)}`;
}

/**
 * The card, or null for a lead that did not come from Partner Center.
 * @param {{partnerCenter?: {referralId: string, syncState: string, syncError?: string | null, syncedDateTime?: string | null} | null}} lead
 * @returns {HTMLElement | null}
 */
export function partnerCenterSection(lead) {
  const link = lead.partnerCenter;
  if (!link) return null;
  const state = h("span", { className: `sync sync-${link.syncState.toLowerCase()}`, attrs: { "data-testid": "pc-sync-state" } }, t(`pcSync${link.syncState}`));
  const rows = [
    [t("pcSource"), t("pcSourceText")],
    [t("pcReferral"), h("a", { href: referralUrl(link.referralId), attrs: { target: "_blank", rel: "noopener noreferrer", "data-testid": "pc-link" } }, link.referralId, " ↗")],
    [t("pcSyncState"), state],
  ];
  if (link.syncState === "Synced" && link.syncedDateTime) rows.push([t("pcSyncedAt"), formatDateTime(link.syncedDateTime)]);
  if (link.syncState === "Failed") rows.push([t("pcSyncError"), h("span", { className: "error", attrs: { "data-testid": "pc-sync-error" } }, link.syncError || t("unknown"))]);
  const list = h("dl", { className: "fields" });
  for (const [label, content] of rows) list.append(h("dt", {}, label), h("dd", {}, content));
  const heading = h("h2", { id: "section-partner-center" }, t("pcSection"));
  return h("section", { className: "card", attrs: { "aria-labelledby": "section-partner-center", "data-testid": "partner-center" } }, heading, list);
}
