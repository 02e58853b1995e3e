"""CRM domain errors: business-rule conflicts with stable codes (see integration.errors)."""

from integration.errors import DomainError


class AccountHasOpenOpportunities(DomainError):
    code = "account_has_open_opportunities"
    default_detail = "The account has open opportunities: close or move them first."


class AlreadyConverted(DomainError):
    code = "already_converted"
    default_detail = "This lead has already been converted."


class CannotMergeIntoItself(DomainError):
    code = "cannot_merge_into_itself"
    status_code = 400
    default_detail = "An account cannot be merged into itself."


class DuplicateAccount(DomainError):
    """Raised only when a caller asks for a strict duplicate check."""

    code = "duplicate_account"
    default_detail = "An account with the same name or domain already exists."


class InvalidStage(DomainError):
    code = "invalid_stage"
    status_code = 400
    default_detail = "The stage does not belong to the opportunity's pipeline."


class NoDefaultPipeline(DomainError):
    code = "no_default_pipeline"
    default_detail = "No default pipeline is configured: create one in the admin."


class CampaignAlreadySent(DomainError):
    code = "campaign_already_sent"
    default_detail = "This campaign has already been sent."


class CampaignHasNoSegment(DomainError):
    code = "campaign_has_no_segment"
    status_code = 400
    default_detail = "Choose a segment before sending the campaign."


class SegmentInUse(DomainError):
    code = "segment_in_use"
    default_detail = "Campaigns target this segment: it cannot be deleted."


class FormInactive(DomainError):
    code = "form_inactive"
    status_code = 404
    default_detail = "This form does not accept submissions."


class OriginNotAllowed(DomainError):
    code = "origin_not_allowed"
    status_code = 403
    default_detail = "Submissions from this origin are not allowed."
