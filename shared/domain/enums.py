"""The enum values of the contract (§3, §4, §5). Values are exact: clients depend on them."""

from enum import StrEnum


class LeadType(StrEnum):
    OFFER = "Offer"
    PROFILE = "Profile"


class Qualification(StrEnum):
    DIRECT = "Direct"
    MARKETING_QUALIFIED = "MarketingQualified"
    SALES_QUALIFIED = "SalesQualified"


class LeadSource(StrEnum):
    APPSOURCE = "AppSource"
    AZURE_MARKETPLACE = "AzureMarketplace"
    AZURE_PORTAL = "AzurePortal"


class CallToAction(StrEnum):
    CONTACT_ME = "ContactMe"
    TEST_DRIVE = "TestDrive"
    FREE_TRIAL = "FreeTrial"
    DOWNLOAD_NOW = "DownloadNow"


INFORMATIONAL_CALLS_TO_ACTION = frozenset(
    {CallToAction.TEST_DRIVE, CallToAction.FREE_TRIAL, CallToAction.DOWNLOAD_NOW}
)


class Stage(StrEnum):
    RECEIVED = "Received"
    ACCEPTED = "Accepted"
    ARCHIVED = "Archived"
    INFORMATIONAL = "Informational"


class Status(StrEnum):
    RECEIVED = "Received"
    ACCEPTED = "Accepted"
    WON = "Won"
    LOST = "Lost"
    DECLINED = "Declined"
    EXPIRED = "Expired"


class Urgency(StrEnum):
    CONTACT_REQUESTED = "ContactRequested"
    CONTACT_REQUESTED_OVERDUE = "ContactRequestedOverdue"


class EmailValidity(StrEnum):
    VALID = "Valid"
    INVALID = "Invalid"
    SPAM = "Spam"
    UNKNOWN = "Unknown"


class PhoneValidity(StrEnum):
    VALID = "Valid"
    INVALID = "Invalid"
    UNKNOWN = "Unknown"


class Quality(StrEnum):
    HIGH = "High"
    LOW = "Low"


class DeclineReason(StrEnum):
    BUDGET_NOT_ADEQUATE = "BudgetNotAdequate"
    CUSTOMER_DID_NOT_RESPOND = "CustomerDidNotRespond"
    CUSTOMER_CHOSE_ANOTHER_VENDOR = "CustomerChoseAnotherVendor"
    REQUIREMENT_NOT_MET = "RequirementNotMet"
    NOT_A_CUSTOMER = "NotACustomer"
    TIMELINE_TOO_SHORT = "TimelineTooShort"
    SPAM = "Spam"
    OTHER = "Other"


class Outcome(StrEnum):
    WON = "Won"
    LOST = "Lost"


class HistoryAction(StrEnum):
    LEAD_CREATED = "LeadCreated"
    CONTACT_VALIDATED = "ContactValidated"
    LEAD_ACCEPTED = "LeadAccepted"
    LEAD_DECLINED = "LeadDeclined"
    DEAL_UPDATED = "DealUpdated"
    TEAM_MEMBER_ADDED = "TeamMemberAdded"
    LEAD_WON = "LeadWon"
    LEAD_LOST = "LeadLost"
    LEAD_EXPIRED = "LeadExpired"
    URGENCY_OVERDUE = "UrgencyOverdue"
    OWNER_ASSIGNED = "OwnerAssigned"
    # Partner Center Referrals (contract §10).
    PARTNER_CENTER_SYNCED = "PartnerCenterSynced"
    PARTNER_CENTER_SYNC_FAILED = "PartnerCenterSyncFailed"
    PARTNER_CENTER_UPDATED = "PartnerCenterUpdated"


class SyncState(StrEnum):
    """Where a Partner Center lead's write-back stands (contract §4, §10)."""

    SYNCED = "Synced"
    PENDING = "Pending"
    FAILED = "Failed"


class EventType(StrEnum):
    LEAD_CREATED = "LeadCreated"
    LEAD_ACCEPTED = "LeadAccepted"
    LEAD_DECLINED = "LeadDeclined"
    LEAD_EXPIRED = "LeadExpired"
    LEAD_WON = "LeadWon"
    LEAD_LOST = "LeadLost"


class Tab(StrEnum):
    MARKETPLACE = "marketplace"
    QUALIFIED = "qualified"
    FAVORITES = "favorites"


class ActionKind(StrEnum):
    """In the order of urgency (contract §5): the action center lists the first kind first."""

    CONTACT_OVERDUE = "ContactOverdue"
    CONTACT_REQUESTED = "ContactRequested"
    EXPIRING_SOON = "ExpiringSoon"
    RESPOND = "Respond"
    RECORD_OUTCOME = "RecordOutcome"


class NotificationKind(StrEnum):
    NEW_LEAD = "NewLead"
    DIGEST = "Digest"
    CONTACT_OVERDUE = "ContactOverdue"


class Role(StrEnum):
    REFERRALS_ADMIN = "ReferralsAdmin"
    BUSINESS_PROFILE_ADMIN = "BusinessProfileAdmin"


class SpamFlag(StrEnum):
    DISPOSABLE_DOMAIN = "disposable_domain"
    SPAM_DOMAIN = "spam_domain"
    ROLE_ADDRESS = "role_address"
    TEST_PATTERN = "test_pattern"
    TEST_LEAD = "test_lead"
