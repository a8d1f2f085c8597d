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
    insights: "Insights",
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
    countryHint: "Type and choose a country; choose several one by one.",
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
    stillLooking: "Still looking… {count} leads shown so far",
    stopLooking: "Stop looking",
    stoppedLooking: "Stopped looking: {count} leads shown. Scroll or load more to go on.",
    q: "Search",
    searchHint: "Company, contact name or email; every word counts",
    sortBy: "Sort",
    "sort.created": "Newest first",
    "sort.expiry": "Time left",
    colQualification: "Qualification",
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
    actionSummary: "Items by kind",
    moreActions: "Show more",
    "actionMessage.ContactOverdue": "{name} asked to be contacted and is still waiting: the answer is overdue.",
    "actionMessage.ContactRequested": "{name} asked to be contacted: respond before the due time.",
    "actionMessage.ExpiringSoon": "The lead from {name} expires soon; after that its contact details are gone.",
    "actionMessage.Respond": "Accept or decline the lead from {name}.",
    "actionMessage.RecordOutcome": "The deal with {name} was due to close: record whether it was won or lost.",
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
    portalName: "Partner leads",
    listHeading: "Leads",
    leadId: "Lead id",
    "leadsShown.one": "{count} lead shown",
    "actionCenterCount.one": "Action center: {count} item",
    invalidContact: "Invalid email address",
    roleAddress: "Role address, not a person",
    "flag.disposable_domain": "Disposable email domain",
    "flag.spam_domain": "Email domain on the spam list",
    "flag.role_address": "Role address such as info@ or sales@",
    "flag.test_pattern": "Looks like test data",
    "flag.test_lead": "Marked as a test lead",
    flagOther: "Other warning sign",
    "err.required": "This field is required.",
    "err.invalid": "This value is not valid.",
    "err.too_long": "This is too long.",
    "err.too_short": "This is too short.",
    "err.not_allowed": "This value is not allowed here.",
    "err.out_of_range": "This value is out of range.",
    "err.invalid_format": "This value is not in the right format.",
    "err.wrong_type": "This is the wrong kind of value.",
    "err.too_many": "There are too many of these.",
    "err.duplicate": "This appears more than once.",
    "err.other": "This value was not accepted.",
    fieldError: "{field}: {message}",
    "http.400": "The request was not accepted.",
    "http.401": "You are not signed in.",
    "http.403": "You are not allowed to do this.",
    "http.404": "This was not found, or is not yours.",
    "http.409": "This action is no longer possible for this lead: it has moved on.",
    "http.412": "Someone else changed this lead in the meantime.",
    "http.413": "Too much data was sent.",
    "http.415": "The request was not in the expected format.",
    "http.5xx": "The service has a problem. Please try again later.",
    networkError: "The server could not be reached. Check your connection and try again.",
    "field.other": "A field",
    "field.outcome": "Outcome",
    "field.q": "Search",
    "field.sort": "Sort order",
    "field.paging": "Paging",
    "field.owner": "Owner",
    "field.body": "The request",
    "field.recipient": "Recipient {n}",
    countryPlaceholder: "Type a country name",
    countryChoose: "Choose a country from the list.",
    countryRemove: "Remove {name}",
    countriesChosen: "Chosen countries",
    conflictDeclined: "{who} already declined this lead ({reason}). Nothing was changed.",
    conflictMoved: "{who} already changed this lead: it is now {status}. Nothing was changed.",
    conflictDeal: "{who} changed this deal in the meantime ({fields}). The form now shows their values; your own changes are kept. Check them and save again.",
    colleague: "A colleague",
    historyChange: "{field}: {from} → {to}",
    noRoleTitle: "You do not have access to leads yet",
    noRoleBody: "You are signed in as {name}, but your account has neither the Referrals admin nor the Business profile admin role. Ask your Partner Center administrator for one of these roles, then sign in again.",
    exporting: "Preparing the export…",
    recipientLanguage: "Email language",
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
    "enum.ContactRequested": "Customer asked for contact", "enum.ContactOverdue": "Contact request overdue", "enum.Respond": "Accept or decline",
    "enum.ExpiringSoon": "Expires soon", "enum.RecordOutcome": "Record the outcome",

    // Owners, routing rules and related leads (owners.js).
    owner: "Owner", colOwner: "Owner", unassigned: "Unassigned", anyOwner: "Any owner", myLeads: "My leads",
    assign: "Assign", changedMeanwhile: "Someone else changed this lead; reload it and try again.",
    hasRelated: "This customer has other leads", relatedLeads: "Related leads", noRelated: "No other leads of this customer.",
    routingRules: "Routing rules", routingHint: "New leads go to the first rule that matches; its users take turns. Conditions are comma-separated; leave one empty to match any lead. Users: userId=Name, comma-separated.",
    assignTo: "Assign to", offerId: "Offer id", removeRule: "Remove rule", noRules: "No rules: new leads get no owner.",
    addRule: "Add rule", saveRules: "Update rules",
    "enum.OwnerAssigned": "Owner assigned",
    // Partner Center (the lead page's Partner Center card)
    pcSection: "Partner Center",
    pcSource: "Came from",
    pcSourceText: "A referral in Partner Center",
    pcReferral: "Referral",
    pcSyncState: "Sync with Partner Center",
    pcSyncSynced: "Synced",
    pcSyncPending: "Waiting to be sent",
    pcSyncFailed: "Failed",
    pcSyncedAt: "Last synced",
    pcSyncError: "Reason",
    "enum.PartnerCenterSynced": "Sent to Partner Center", "enum.PartnerCenterSyncFailed": "Partner Center refused the update",
  },
  nl: {
    appTitle: "Leads",
    insights: "Inzichten",
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
    countryHint: "Typ en kies een land; kies er meerdere een voor een.",
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
    stillLooking: "Nog aan het zoeken… tot nu toe {count} leads getoond",
    stopLooking: "Stoppen met zoeken",
    stoppedLooking: "Gestopt met zoeken: {count} leads getoond. Scroll of laad meer om verder te gaan.",
    q: "Zoeken",
    searchHint: "Bedrijf, naam van de contactpersoon of e-mail; elk woord telt",
    sortBy: "Sorteren",
    "sort.created": "Nieuwste eerst",
    "sort.expiry": "Resterende tijd",
    colQualification: "Kwalificatie",
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
    actionSummary: "Items per soort",
    moreActions: "Meer tonen",
    "actionMessage.ContactOverdue": "{name} vroeg om contact en wacht nog steeds: de reactie is te laat.",
    "actionMessage.ContactRequested": "{name} vroeg om contact: reageer voor het genoemde tijdstip.",
    "actionMessage.ExpiringSoon": "De lead van {name} verloopt binnenkort; daarna zijn de contactgegevens weg.",
    "actionMessage.Respond": "Accepteer of wijs de lead van {name} af.",
    "actionMessage.RecordOutcome": "De deal met {name} zou nu gesloten zijn: leg vast of die gewonnen of verloren is.",
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
    portalName: "Partnerleads",
    listHeading: "Leads",
    leadId: "Lead-id",
    "leadsShown.one": "{count} lead getoond",
    "actionCenterCount.one": "Actiecentrum: {count} item",
    invalidContact: "Ongeldig e-mailadres",
    roleAddress: "Functioneel adres, geen persoon",
    "flag.disposable_domain": "Wegwerp-e-maildomein",
    "flag.spam_domain": "E-maildomein op de spamlijst",
    "flag.role_address": "Functioneel adres zoals info@ of sales@",
    "flag.test_pattern": "Lijkt op testgegevens",
    "flag.test_lead": "Gemarkeerd als testlead",
    flagOther: "Ander waarschuwingssignaal",
    "err.required": "Dit veld is verplicht.",
    "err.invalid": "Deze waarde is ongeldig.",
    "err.too_long": "Dit is te lang.",
    "err.too_short": "Dit is te kort.",
    "err.not_allowed": "Deze waarde is hier niet toegestaan.",
    "err.out_of_range": "Deze waarde valt buiten het toegestane bereik.",
    "err.invalid_format": "Deze waarde heeft niet de juiste vorm.",
    "err.wrong_type": "Dit is het verkeerde soort waarde.",
    "err.too_many": "Dit zijn er te veel.",
    "err.duplicate": "Dit komt meer dan eens voor.",
    "err.other": "Deze waarde is niet geaccepteerd.",
    fieldError: "{field}: {message}",
    "http.400": "Het verzoek is niet geaccepteerd.",
    "http.401": "U bent niet aangemeld.",
    "http.403": "U mag dit niet doen.",
    "http.404": "Dit is niet gevonden of is niet van u.",
    "http.409": "Deze actie kan niet meer voor deze lead: de lead is al verder.",
    "http.412": "Iemand anders heeft deze lead intussen gewijzigd.",
    "http.413": "Er zijn te veel gegevens verstuurd.",
    "http.415": "Het verzoek had niet de verwachte vorm.",
    "http.5xx": "De dienst heeft een probleem. Probeer het later opnieuw.",
    networkError: "De server is niet bereikbaar. Controleer uw verbinding en probeer het opnieuw.",
    "field.other": "Een veld",
    "field.outcome": "Uitkomst",
    "field.q": "Zoeken",
    "field.sort": "Sortering",
    "field.paging": "Bladeren",
    "field.owner": "Eigenaar",
    "field.body": "Het verzoek",
    "field.recipient": "Ontvanger {n}",
    countryPlaceholder: "Typ een landnaam",
    countryChoose: "Kies een land uit de lijst.",
    countryRemove: "{name} verwijderen",
    countriesChosen: "Gekozen landen",
    conflictDeclined: "{who} heeft deze lead al afgewezen ({reason}). Er is niets gewijzigd.",
    conflictMoved: "{who} heeft deze lead al gewijzigd: de status is nu {status}. Er is niets gewijzigd.",
    conflictDeal: "{who} heeft deze deal intussen gewijzigd ({fields}). Het formulier toont nu die waarden; uw eigen wijzigingen zijn bewaard. Controleer ze en sla opnieuw op.",
    colleague: "Een collega",
    historyChange: "{field}: {from} → {to}",
    noRoleTitle: "U hebt nog geen toegang tot leads",
    noRoleBody: "U bent aangemeld als {name}, maar uw account heeft geen rol als Referrals-beheerder of Business profile-beheerder. Vraag uw Partner Center-beheerder om een van deze rollen en meld u daarna opnieuw aan.",
    exporting: "De export wordt voorbereid…",
    recipientLanguage: "Taal van de e-mails",
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
    "enum.ContactRequested": "Klant wil contact", "enum.ContactOverdue": "Contactverzoek te laat", "enum.Respond": "Accepteren of afwijzen",
    "enum.ExpiringSoon": "Verloopt binnenkort", "enum.RecordOutcome": "Resultaat vastleggen",

    // Eigenaren, routeringsregels en verwante leads (owners.js).
    owner: "Eigenaar", colOwner: "Eigenaar", unassigned: "Niet toegewezen", anyOwner: "Elke eigenaar", myLeads: "Mijn leads",
    assign: "Toewijzen", changedMeanwhile: "Iemand anders heeft deze lead gewijzigd; laad hem opnieuw en probeer het nog eens.",
    hasRelated: "Deze klant heeft andere leads", relatedLeads: "Verwante leads", noRelated: "Geen andere leads van deze klant.",
    routingRules: "Routeringsregels", routingHint: "Nieuwe leads gaan naar de eerste regel die past; de gebruikers ervan zijn om de beurt. Voorwaarden met komma's gescheiden; laat er een leeg voor elke lead. Gebruikers: userId=Naam, met komma's gescheiden.",
    assignTo: "Toewijzen aan", offerId: "Aanbiedings-id", removeRule: "Regel verwijderen", noRules: "Geen regels: nieuwe leads krijgen geen eigenaar.",
    addRule: "Regel toevoegen", saveRules: "Regels bijwerken",
    "enum.OwnerAssigned": "Eigenaar toegewezen",
    // Partner Center (the lead page's Partner Center card)
    pcSection: "Partner Center",
    pcSource: "Afkomstig van",
    pcSourceText: "Een verwijzing in Partner Center",
    pcReferral: "Verwijzing",
    pcSyncState: "Synchronisatie met Partner Center",
    pcSyncSynced: "Gesynchroniseerd",
    pcSyncPending: "Wacht op verzending",
    pcSyncFailed: "Mislukt",
    pcSyncedAt: "Laatst gesynchroniseerd",
    pcSyncError: "Reden",
    "enum.PartnerCenterSynced": "Naar Partner Center verzonden", "enum.PartnerCenterSyncFailed": "Partner Center weigerde de wijziging",
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
  const text = pluralText(key, values.count) ?? MESSAGES[language][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

/**
 * The `{key}.one` form when the language's plural rule says `count` is singular (`count` may be a
 * formatted number such as "1.234"); null when there is no such form.
 */
function pluralText(key, count) {
  if (count === undefined || count === null) return null;
  const number = typeof count === "number" ? count : Number(String(count).replace(/[^\d]/g, ""));
  if (!Number.isFinite(number)) return null;
  const rule = new Intl.PluralRules(locale()).select(number);
  return MESSAGES[language][`${key}.${rule}`] ?? null;
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

// API field names that have a label of their own under another key.
const FIELD_KEYS = {
  createdTo: "createdUntil", name: "memberName", email: "memberEmail", phone: "memberPhone",
  outcome: "field.outcome", q: "field.q", sort: "field.sort", top: "field.paging",
  continuationToken: "field.paging", tab: "leadTabs", owner: "field.owner", userId: "field.owner",
  value: "estimatedValue", body: "field.body", language: "recipientLanguage",
};

/**
 * The name of an API field (`details[].field`) in the chosen language: `team.0.email` becomes
 * "Team member 1: Email", `recipients.2.email` "Recipient 3: Email".
 * @param {string} path
 */
export function fieldLabel(path) {
  const parts = String(path || "").split(".").filter(Boolean);
  const prefixes = [];
  while (parts.length > 1) {
    const [head, index] = parts;
    if (/^\d+$/.test(index) && (head === "team" || head === "recipients")) {
      prefixes.push(t(head === "team" ? "teamMember" : "field.recipient", { n: Number(index) + 1 }));
      parts.splice(0, 2);
    } else {
      parts.shift();
    }
  }
  const name = parts[0] || "";
  const key = FIELD_KEYS[name] ?? name;
  const known = key && (MESSAGES[language][key] ?? MESSAGES.en[key]);
  const label = known ? t(key) : t("field.other");
  return prefixes.length ? `${prefixes.join(", ")}: ${label}` : label;
}

export const DETAIL_CODES = [
  "required", "invalid", "invalid_format", "wrong_type", "too_long", "too_short", "too_many", "duplicate",
  "not_allowed", "out_of_range",
];

/** The message of one `details` entry, worded from the catalog by its stable `code`. */
export function detailMessage(detail) {
  return t(DETAIL_CODES.includes(detail?.code) ? `err.${detail.code}` : "err.other");
}

/**
 * What went wrong, in the chosen language, for any error a call to the API can end in: the API's
 * own (English) `message` is never shown; a 400 names its fields; a failed fetch is a network error.
 * @param {unknown} error
 */
export function errorMessage(error) {
  const status = /** @type {{ status?: number }} */ (error)?.status;
  const details = /** @type {{ details?: Array<{ field: string, code?: string }> }} */ (error)?.details;
  if (typeof status !== "number") {
    return error instanceof TypeError ? t("networkError") : t("genericError");
  }
  if (status === 400 && details?.length) {
    return details.map((detail) => t("fieldError", { field: fieldLabel(detail.field), message: detailMessage(detail) })).join(" ");
  }
  if (status >= 500) return t("http.5xx");
  const key = `http.${status}`;
  return MESSAGES.en[key] ? t(key) : t("genericError");
}

/** The spam flags in words, never machine names. */
export function spamFlagText(flag) {
  const key = `flag.${flag}`;
  return MESSAGES.en[key] ? t(key) : t("flagOther");
}

// Flags that say the lead may be spam or a test; `role_address` is a real but shared mailbox.
const SPAM_SIGNALS = new Set(["disposable_domain", "spam_domain", "test_lead", "test_pattern"]);

/**
 * The warnings a lead deserves, each with its own honest wording: "possibleSpam" only for spam or
 * test signals, "invalidContact" for an address that cannot work, "roleAddress" for info@ and the like.
 * @param {{ emailValidity?: string | null, spamFlags?: string[] | null }} lead
 * @returns {Array<"possibleSpam" | "invalidContact" | "roleAddress">}
 */
export function leadWarnings(lead) {
  const flags = lead.spamFlags || [];
  const warnings = [];
  if (lead.emailValidity === "Spam" || flags.some((flag) => SPAM_SIGNALS.has(flag))) warnings.push("possibleSpam");
  if (lead.emailValidity === "Invalid") warnings.push("invalidContact");
  if (flags.includes("role_address")) warnings.push("roleAddress");
  return /** @type {Array<"possibleSpam" | "invalidContact" | "roleAddress">} */ (warnings);
}

// Country calling codes of one and two digits (ITU E.164 assignments); all others have three.
const CALLING_CODES_SHORT = new Set([
  "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
  "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66",
  "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
]);
// National number groupings where a country writes them one way (lengths of the groups).
const GROUPINGS = {
  1: { 10: [3, 3, 4] },
  31: { 9: [2, 3, 4] },
  32: { 8: [1, 3, 2, 2], 9: [3, 2, 2, 2] },
  33: { 9: [1, 2, 2, 2, 2] },
  44: { 10: [4, 6] },
  49: { 10: [3, 7], 11: [3, 8] },
};

/**
 * An E.164 number grouped for reading (`+33142685300` → `+33 1 42 68 53 00`); anything else as it is.
 * Links and copies keep the E.164 form.
 * @param {string | null | undefined} phone
 */
export function formatPhone(phone) {
  if (!phone || !/^\+\d{6,15}$/.test(phone)) return phone || "";
  const digits = phone.slice(1);
  const code = [1, 2, 3].map((n) => digits.slice(0, n)).find((c) => c.length < 3 ? CALLING_CODES_SHORT.has(c) : true);
  let national = digits.slice(code.length);
  // Dutch mobiles: 6 then eight digits.
  let groups = code === "31" && national.startsWith("6") ? [1, 8] : GROUPINGS[code]?.[national.length];
  if (!groups) {
    groups = [];
    let left = national.length;
    while (left > 4) { groups.push(3); left -= 3; }
    groups.push(left);
  }
  const parts = [];
  for (const size of groups) {
    parts.push(national.slice(0, size));
    national = national.slice(size);
  }
  return `+${code} ${parts.join(" ")}`;
}

/**
 * A local calendar day (`YYYY-MM-DD`) as the ISO date-time of its start in the browser's time zone,
 * with the offset (`2026-11-25T00:00:00-08:00`); `days` moves to a later day first.
 * @param {string} day
 * @param {number} [days]
 */
export function localDayStart(day, days = 0) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return day;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days);
  const pad = (n) => String(Math.abs(n)).padStart(2, "0");
  const offset = -date.getTimezoneOffset();
  const zone = `${offset >= 0 ? "+" : "-"}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:00${zone}`;
}

/** Every region with a name, sorted by name in the chosen language: `[code, name]`. */
export function countryChoices() {
  const names = new Intl.DisplayNames([locale()], { type: "region", fallback: "none" });
  const choices = [];
  for (let first = 65; first <= 90; first++) {
    for (let second = 65; second <= 90; second++) {
      const code = String.fromCharCode(first, second);
      const name = names.of(code);
      // Unassigned codes have no name (or their own code back); user-assigned ones (XA-XZ, QM-QZ, ZZ) are skipped.
      if (name && name !== code && !/^(X[A-JL-Z]|Q[M-Z]|ZZ|AA|OO|EU|EZ|UN|AC|CP|CQ|DG|EA|FX|IC|TA)$/.test(code)) choices.push([code, name]);
    }
  }
  return choices.sort((a, b) => a[1].localeCompare(b[1], locale()));
}
