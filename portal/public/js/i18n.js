// @ts-check
// English and Dutch texts, the chosen language, and locale-aware formatting.

const STORAGE_KEY = "portal.language";
export const LANGUAGES = ["en", "nl"];

/**
 * Every text by language and key; both languages have the same keys (a test checks them).
 * @type {Record<string, Record<string, string>>}
 */
export const MESSAGES = {
  en: {
    appTitle: "Leads",
    skipToContent: "Skip to content",
    language: "Language",
    signOut: "Sign out",
    tabMarketplace: "Marketplace leads",
    tabQualified: "Qualified leads",
    tabFavorites: "Favorites",
    leadTabs: "Lead lists",
    filters: "Filters",
    showFilters: "Filters",
    clearFilters: "Clear filters",
    applyFilters: "Apply",
    export: "Export",
    customerName: "Customer name",
    country: "Country",
    countryHint: "Two-letter codes, comma-separated (NL, DE)",
    createdFrom: "Created from",
    createdUntil: "Created until",
    callToAction: "Call to action",
    leadSource: "Source",
    leadType: "Type",
    quality: "Quality",
    stage: "Stage",
    status: "Status",
    emailValidity: "Email",
    phoneValidity: "Phone",
    colCustomer: "Customer",
    colOrigin: "Country · action · source · type",
    colQuality: "Quality",
    colStatus: "Status",
    colCreated: "Created · time left",
    colFavorite: "Favorite",
    favoriteAdd: "Add to favorites",
    favoriteRemove: "Remove from favorites",
    contactRequested: "The customer asked to be contacted",
    contactOverdue: "The customer asked to be contacted: overdue",
    spamWarning: "Possible spam",
    loadMore: "Load more",
    loading: "Loading…",
    noLeads: "No leads match.",
    leadsShown: "{count} leads shown",
    expired: "Expired",
    timeLeftDays: "{n} d left",
    timeLeftHours: "{n} h left",
    noExpiry: "No expiry",
    unknown: "Unknown",
    backToList: "Back to the list",
    leadNotFound: "This lead does not exist or is not yours.",
    sectionCustomer: "Customer",
    sectionLead: "Lead",
    sectionValidation: "Contact validation",
    sectionDeal: "Deal",
    sectionTeam: "Team",
    sectionHistory: "History",
    company: "Company",
    contactName: "Contact",
    email: "Email",
    phone: "Phone",
    title: "Job title",
    size: "Company size",
    customerNeed: "Customer need",
    offer: "Offer",
    qualification: "Qualification",
    created: "Created",
    updated: "Updated",
    expires: "Expires",
    acceptedAt: "Accepted",
    closedAt: "Closed",
    validatedAt: "Validated",
    statusReason: "Reason",
    statusNotes: "Notes",
    spamFlags: "Spam flags",
    customerRequestedContact: "Customer asked for contact",
    yes: "Yes",
    no: "No",
    none: "—",
    copy: "Copy",
    copyEmail: "Copy email address",
    copyPhone: "Copy phone number",
    copied: "Copied",
    contactRemoved: "Contact details were removed when the lead expired.",
    readOnly: "This lead is archived and read-only.",
    informational: "Informational lead: no accept or decline needed.",
    accept: "Accept",
    decline: "Decline",
    editDeal: "Edit deal",
    addTeamMember: "Add team member",
    markWon: "Mark won",
    markLost: "Mark lost",
    cancel: "Cancel",
    save: "Save",
    close: "Close",
    acceptTitle: "Accept lead",
    declineTitle: "Decline lead",
    editDealTitle: "Edit deal",
    teamTitle: "Add team member",
    wonTitle: "Mark as won",
    lostTitle: "Mark as lost",
    dealName: "Deal name",
    estimatedValue: "Estimated value",
    currency: "Currency",
    estimatedCloseDate: "Estimated close date",
    notes: "Notes",
    campaignId: "Campaign id",
    crmId: "CRM id",
    teamMembers: "Team members",
    teamMember: "Team member {n}",
    memberName: "Name",
    memberEmail: "Email",
    memberPhone: "Phone (optional)",
    addMember: "Add member",
    removeMember: "Remove member",
    reason: "Reason",
    finalValue: "Final value",
    required: "Required",
    conflict: "Someone else changed this lead. It has been reloaded; what you typed is kept — check it and submit again.",
    invalidTransition: "This action is no longer possible for this lead: it has moved on.",
    fixErrors: "Please correct the marked fields.",
    genericError: "Something went wrong. Please try again.",
    forbidden: "You are not allowed to do this.",
    notSignedIn: "You are not signed in.",
    noPartner: "Your account is not linked to a partner, or has no Referrals role.",
    signIn: "Sign in",
    actionCenter: "Action center",
    actionCenterCount: "Action center: {count} items",
    noActions: "Nothing needs doing right now.",
    due: "Due {date}",
    settings: "Notification settings",
    recipients: "Recipients of lead emails",
    recipientsReadOnly: "Only a Referrals admin can change the recipients.",
    addRecipient: "Add recipient",
    removeRecipient: "Remove",
    recipientName: "Name",
    recipientEmail: "Email",
    saved: "Saved",
    noRecipients: "No recipients yet.",
    historyEmpty: "No history.",
    actor: "By",
    system: "System",
    openLead: "Open lead from {name}",
    // Enum values
    "enum.Valid": "Valid", "enum.Invalid": "Invalid", "enum.Spam": "Spam", "enum.Unknown": "Unknown",
    "enum.High": "High", "enum.Low": "Low",
    "enum.Received": "Received", "enum.Accepted": "Accepted", "enum.Archived": "Archived",
    "enum.Informational": "Informational", "enum.Won": "Won", "enum.Lost": "Lost",
    "enum.Declined": "Declined", "enum.Expired": "Expired",
    "enum.ContactMe": "Contact me", "enum.TestDrive": "Test drive", "enum.FreeTrial": "Free trial",
    "enum.DownloadNow": "Download now",
    "enum.AppSource": "AppSource", "enum.AzureMarketplace": "Azure Marketplace", "enum.AzurePortal": "Azure portal",
    "enum.Offer": "Offer", "enum.Profile": "Profile",
    "enum.Direct": "Direct", "enum.MarketingQualified": "Marketing qualified", "enum.SalesQualified": "Sales qualified",
    "enum.BudgetNotAdequate": "Budget not adequate", "enum.CustomerDidNotRespond": "Customer did not respond",
    "enum.CustomerChoseAnotherVendor": "Customer chose another vendor", "enum.RequirementNotMet": "Requirement not met",
    "enum.NotACustomer": "Not a customer", "enum.TimelineTooShort": "Timeline too short", "enum.Other": "Other",
    "enum.LeadCreated": "Lead created", "enum.ContactValidated": "Contact validated", "enum.LeadAccepted": "Accepted",
    "enum.LeadDeclined": "Declined", "enum.DealUpdated": "Deal updated", "enum.TeamMemberAdded": "Team member added",
    "enum.LeadWon": "Won", "enum.LeadLost": "Lost", "enum.LeadExpired": "Expired", "enum.UrgencyOverdue": "Contact request overdue",
    "enum.ContactRequested": "Customer asked for contact", "enum.Respond": "Accept or decline",
    "enum.ExpiringSoon": "Expires soon", "enum.RecordOutcome": "Record the outcome",

    // Owners, routing rules and related leads (owners.js).
    owner: "Owner", colOwner: "Owner", unassigned: "Unassigned", anyOwner: "Any owner", myLeads: "My leads",
    assign: "Assign", changedMeanwhile: "Someone else changed this lead; reload it and try again.",
    hasRelated: "This customer has other leads", relatedLeads: "Related leads", noRelated: "No other leads of this customer.",
    routingRules: "Routing rules", routingHint: "New leads go to the first rule that matches; its users take turns. Conditions are comma-separated; leave one empty to match any lead. Users: userId=Name, comma-separated.",
    assignTo: "Assign to", offerId: "Offer id", removeRule: "Remove rule", noRules: "No rules: new leads get no owner.",
    addRule: "Add rule", saveRules: "Update rules",
    "enum.OwnerAssigned": "Owner assigned",
  },
  nl: {
    appTitle: "Leads",
    skipToContent: "Naar de inhoud",
    language: "Taal",
    signOut: "Afmelden",
    tabMarketplace: "Marketplace-leads",
    tabQualified: "Gekwalificeerde leads",
    tabFavorites: "Favorieten",
    leadTabs: "Leadlijsten",
    filters: "Filters",
    showFilters: "Filters",
    clearFilters: "Filters wissen",
    applyFilters: "Toepassen",
    export: "Exporteren",
    customerName: "Klantnaam",
    country: "Land",
    countryHint: "Landcodes van twee letters, met komma's (NL, DE)",
    createdFrom: "Aangemaakt vanaf",
    createdUntil: "Aangemaakt tot en met",
    callToAction: "Call-to-action",
    leadSource: "Bron",
    leadType: "Type",
    quality: "Kwaliteit",
    stage: "Fase",
    status: "Status",
    emailValidity: "E-mail",
    phoneValidity: "Telefoon",
    colCustomer: "Klant",
    colOrigin: "Land · actie · bron · type",
    colQuality: "Kwaliteit",
    colStatus: "Status",
    colCreated: "Aangemaakt · resterende tijd",
    colFavorite: "Favoriet",
    favoriteAdd: "Aan favorieten toevoegen",
    favoriteRemove: "Uit favorieten verwijderen",
    contactRequested: "De klant wil graag contact",
    contactOverdue: "De klant wil graag contact: te laat",
    spamWarning: "Mogelijk spam",
    loadMore: "Meer laden",
    loading: "Laden…",
    noLeads: "Geen leads gevonden.",
    leadsShown: "{count} leads getoond",
    expired: "Verlopen",
    timeLeftDays: "nog {n} d",
    timeLeftHours: "nog {n} u",
    noExpiry: "Verloopt niet",
    unknown: "Onbekend",
    backToList: "Terug naar de lijst",
    leadNotFound: "Deze lead bestaat niet of is niet van u.",
    sectionCustomer: "Klant",
    sectionLead: "Lead",
    sectionValidation: "Controle van contactgegevens",
    sectionDeal: "Deal",
    sectionTeam: "Team",
    sectionHistory: "Geschiedenis",
    company: "Bedrijf",
    contactName: "Contactpersoon",
    email: "E-mail",
    phone: "Telefoon",
    title: "Functie",
    size: "Bedrijfsgrootte",
    customerNeed: "Vraag van de klant",
    offer: "Aanbieding",
    qualification: "Kwalificatie",
    created: "Aangemaakt",
    updated: "Bijgewerkt",
    expires: "Verloopt",
    acceptedAt: "Geaccepteerd",
    closedAt: "Afgesloten",
    validatedAt: "Gecontroleerd",
    statusReason: "Reden",
    statusNotes: "Notities",
    spamFlags: "Spamkenmerken",
    customerRequestedContact: "Klant vraagt om contact",
    yes: "Ja",
    no: "Nee",
    none: "—",
    copy: "Kopiëren",
    copyEmail: "E-mailadres kopiëren",
    copyPhone: "Telefoonnummer kopiëren",
    copied: "Gekopieerd",
    contactRemoved: "De contactgegevens zijn verwijderd toen de lead verliep.",
    readOnly: "Deze lead is gearchiveerd en alleen-lezen.",
    informational: "Informatieve lead: accepteren of afwijzen is niet nodig.",
    accept: "Accepteren",
    decline: "Afwijzen",
    editDeal: "Deal bewerken",
    addTeamMember: "Teamlid toevoegen",
    markWon: "Gewonnen",
    markLost: "Verloren",
    cancel: "Annuleren",
    save: "Opslaan",
    close: "Sluiten",
    acceptTitle: "Lead accepteren",
    declineTitle: "Lead afwijzen",
    editDealTitle: "Deal bewerken",
    teamTitle: "Teamlid toevoegen",
    wonTitle: "Als gewonnen markeren",
    lostTitle: "Als verloren markeren",
    dealName: "Dealnaam",
    estimatedValue: "Geschatte waarde",
    currency: "Valuta",
    estimatedCloseDate: "Verwachte sluitingsdatum",
    notes: "Notities",
    campaignId: "Campagne-id",
    crmId: "CRM-id",
    teamMembers: "Teamleden",
    teamMember: "Teamlid {n}",
    memberName: "Naam",
    memberEmail: "E-mail",
    memberPhone: "Telefoon (optioneel)",
    addMember: "Lid toevoegen",
    removeMember: "Lid verwijderen",
    reason: "Reden",
    finalValue: "Eindwaarde",
    required: "Verplicht",
    conflict: "Iemand anders heeft deze lead gewijzigd. De lead is opnieuw geladen; wat u typte is bewaard — controleer het en verstuur opnieuw.",
    invalidTransition: "Deze actie kan niet meer voor deze lead: de lead is al verder.",
    fixErrors: "Verbeter de gemarkeerde velden.",
    genericError: "Er ging iets mis. Probeer het opnieuw.",
    forbidden: "U mag dit niet doen.",
    notSignedIn: "U bent niet aangemeld.",
    noPartner: "Uw account is niet aan een partner gekoppeld of heeft geen Referrals-rol.",
    signIn: "Aanmelden",
    actionCenter: "Actiecentrum",
    actionCenterCount: "Actiecentrum: {count} items",
    noActions: "Er hoeft nu niets te gebeuren.",
    due: "Uiterlijk {date}",
    settings: "Meldingsinstellingen",
    recipients: "Ontvangers van lead-e-mails",
    recipientsReadOnly: "Alleen een Referrals-beheerder kan de ontvangers wijzigen.",
    addRecipient: "Ontvanger toevoegen",
    removeRecipient: "Verwijderen",
    recipientName: "Naam",
    recipientEmail: "E-mail",
    saved: "Opgeslagen",
    noRecipients: "Nog geen ontvangers.",
    historyEmpty: "Geen geschiedenis.",
    actor: "Door",
    system: "Systeem",
    openLead: "Lead van {name} openen",
    "enum.Valid": "Geldig", "enum.Invalid": "Ongeldig", "enum.Spam": "Spam", "enum.Unknown": "Onbekend",
    "enum.High": "Hoog", "enum.Low": "Laag",
    "enum.Received": "Ontvangen", "enum.Accepted": "Geaccepteerd", "enum.Archived": "Gearchiveerd",
    "enum.Informational": "Informatief", "enum.Won": "Gewonnen", "enum.Lost": "Verloren",
    "enum.Declined": "Afgewezen", "enum.Expired": "Verlopen",
    "enum.ContactMe": "Neem contact op", "enum.TestDrive": "Testrit", "enum.FreeTrial": "Gratis proefversie",
    "enum.DownloadNow": "Nu downloaden",
    "enum.AppSource": "AppSource", "enum.AzureMarketplace": "Azure Marketplace", "enum.AzurePortal": "Azure-portal",
    "enum.Offer": "Aanbieding", "enum.Profile": "Profiel",
    "enum.Direct": "Direct", "enum.MarketingQualified": "Marketing-gekwalificeerd", "enum.SalesQualified": "Sales-gekwalificeerd",
    "enum.BudgetNotAdequate": "Budget ontoereikend", "enum.CustomerDidNotRespond": "Klant reageerde niet",
    "enum.CustomerChoseAnotherVendor": "Klant koos een andere leverancier", "enum.RequirementNotMet": "Niet aan de eisen voldaan",
    "enum.NotACustomer": "Geen klant", "enum.TimelineTooShort": "Te korte termijn", "enum.Other": "Anders",
    "enum.LeadCreated": "Lead aangemaakt", "enum.ContactValidated": "Contactgegevens gecontroleerd", "enum.LeadAccepted": "Geaccepteerd",
    "enum.LeadDeclined": "Afgewezen", "enum.DealUpdated": "Deal bijgewerkt", "enum.TeamMemberAdded": "Teamlid toegevoegd",
    "enum.LeadWon": "Gewonnen", "enum.LeadLost": "Verloren", "enum.LeadExpired": "Verlopen", "enum.UrgencyOverdue": "Contactverzoek te laat",
    "enum.ContactRequested": "Klant wil contact", "enum.Respond": "Accepteren of afwijzen",
    "enum.ExpiringSoon": "Verloopt binnenkort", "enum.RecordOutcome": "Resultaat vastleggen",

    // Eigenaren, routeringsregels en verwante leads (owners.js).
    owner: "Eigenaar", colOwner: "Eigenaar", unassigned: "Niet toegewezen", anyOwner: "Elke eigenaar", myLeads: "Mijn leads",
    assign: "Toewijzen", changedMeanwhile: "Iemand anders heeft deze lead gewijzigd; laad hem opnieuw en probeer het nog eens.",
    hasRelated: "Deze klant heeft andere leads", relatedLeads: "Verwante leads", noRelated: "Geen andere leads van deze klant.",
    routingRules: "Routeringsregels", routingHint: "Nieuwe leads gaan naar de eerste regel die past; de gebruikers ervan zijn om de beurt. Voorwaarden met komma's gescheiden; laat er een leeg voor elke lead. Gebruikers: userId=Naam, met komma's gescheiden.",
    assignTo: "Toewijzen aan", offerId: "Aanbiedings-id", removeRule: "Regel verwijderen", noRules: "Geen regels: nieuwe leads krijgen geen eigenaar.",
    addRule: "Regel toevoegen", saveRules: "Regels bijwerken",
    "enum.OwnerAssigned": "Eigenaar toegewezen",
  },
};

function browserLanguage() {
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const base = tag.toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

function storedLanguage() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(stored) ? stored : null;
  } catch {
    return null; // storage may be blocked
  }
}

let language = storedLanguage() || browserLanguage();

export function currentLanguage() {
  return language;
}

export function setLanguage(next) {
  if (!LANGUAGES.includes(next)) return;
  language = next;
  try { localStorage.setItem(STORAGE_KEY, next); } catch { /* not remembered, still switched */ }
  document.documentElement.lang = next;
}

/** The locale for dates and numbers: the browser's own when it speaks the chosen language. */
export function locale() {
  const match = (navigator.languages || []).find((tag) => tag.toLowerCase().split("-")[0] === language);
  return match || (language === "nl" ? "nl-NL" : "en-US");
}

/**
 * The text of `key` in the chosen language, English when missing, `{name}` filled from `values`.
 * @param {string} key
 * @param {Record<string, unknown>} [values]
 * @returns {string}
 */
export function t(key, values = {}) {
  const text = MESSAGES[language][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

/** The label of an enum value in the chosen language (the value itself when unknown). */
export function enumLabel(value) {
  if (value === null || value === undefined) return t("none");
  const key = `enum.${value}`;
  return MESSAGES[language][key] ?? MESSAGES.en[key] ?? String(value);
}

export function formatDateTime(iso) {
  if (!iso) return t("none");
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

export function formatDate(iso) {
  if (!iso) return t("none");
  // A calendar date (YYYY-MM-DD) is shown as that day, whatever the time zone.
  const date = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T00:00:00Z`) : new Date(iso);
  /** @type {Intl.DateTimeFormatOptions} */
  const options = { dateStyle: "medium" };
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) options.timeZone = "UTC";
  return new Intl.DateTimeFormat(locale(), options).format(date);
}

export function formatMoney(value, currency) {
  if (value === null || value === undefined) return t("none");
  try {
    return new Intl.NumberFormat(locale(), { style: "currency", currency: currency || "USD" }).format(value);
  } catch {
    return `${new Intl.NumberFormat(locale()).format(value)} ${currency || ""}`.trim();
  }
}

export function formatCount(count) {
  return new Intl.NumberFormat(locale()).format(count);
}

export function countryName(code) {
  if (!code) return t("none");
  try {
    return new Intl.DisplayNames([locale()], { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

/** "3 d left" / "5 h left" / "Expired" until `iso`. */
export function timeLeft(iso, now = Date.now()) {
  if (!iso) return t("noExpiry");
  const hours = (new Date(iso).getTime() - now) / 3_600_000;
  if (hours <= 0) return t("expired");
  if (hours < 48) return t("timeLeftHours", { n: Math.max(1, Math.floor(hours)) });
  return t("timeLeftDays", { n: Math.floor(hours / 24) });
}

/** Put the texts of `[data-i18n]` elements of the static page in the chosen language. */
export function translateStatic(root = document) {
  for (const element of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll("[data-i18n]"))) element.textContent = t(element.dataset.i18n);
  for (const element of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll("[data-i18n-label]"))) element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  document.documentElement.lang = language;
}
