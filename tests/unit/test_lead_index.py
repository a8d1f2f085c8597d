"""Search words, the expiry order and the list's read plan (the pure parts of search and sort)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.derived_rows import derived_change
from shared.domain.enums import LeadType, Qualification, Stage, Status
from shared.domain.lead import Customer, Lead
from shared.domain.lead_ids import new_lead_id
from shared.domain.lead_index import (
    MAX_WORD_LENGTH,
    MAX_WORDS_PER_LEAD,
    ExpiryOrder,
    SearchWords,
    expiry_key,
    is_first_word_row,
    matches_search,
    most_selective,
    normalise,
    prefix_range,
    query_words,
    search_words,
    word_row_key,
    words,
)
from shared.domain.lead_query import (
    LeadQuery,
    Position,
    ReadOrder,
    ReadPlan,
    SortOrder,
    encode_continuation,
    parse_list_request,
    read_plan,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def lead(
    company: str = "Fabrikam BV",
    first: str | None = "Eva",
    last: str | None = "de Vries",
    email: str | None = "eva.devries@fabrikam.nl",
    expires: datetime | None = NOW + timedelta(days=14),
    created: datetime = NOW,
) -> Lead:
    return Lead(
        id=new_lead_id(created),
        partner_id="contoso",
        lead_type=LeadType.OFFER,
        qualification=Qualification.DIRECT,
        customer=Customer(company=company, first_name=first, last_name=last, email=email),
        stage=Stage.RECEIVED,
        status=Status.RECEIVED,
        created_date_time=created,
        updated_date_time=created,
        expiration_date_time=expires,
    )


def test_words_are_accent_and_case_free_and_split_on_anything_else() -> None:
    assert normalise("Émile ÆRØ Straße") == "emile ærø strasse"
    assert words("Crème-Brûlée B.V.") == ["creme", "brulee", "b", "v"]
    assert words("eva.de.vries+sales@fabrikam.co.nl") == [
        "eva",
        "de",
        "vries",
        "sales",
        "fabrikam",
        "co",
        "nl",
    ]
    assert words("ﬁrma") == ["firma"]  # a ligature decomposes (NFKD)
    assert words(None) == words("") == words(" -- ") == []
    assert words("x" * 50) == ["x" * MAX_WORD_LENGTH]


@given(st.text(max_size=60))
def test_words_are_stable_nonempty_and_fit_in_a_row_key(text: str) -> None:
    found = words(text)
    assert all(word and len(word) <= MAX_WORD_LENGTH for word in found)
    assert all(not any(char in word for char in "|/\\#?\t\n") for word in found)
    # Normalising a word again changes nothing: a query is read the way the lead was.
    assert all(words(word) == [word] for word in found)


@given(st.text(max_size=40), st.text(max_size=40))
def test_every_word_of_a_field_finds_the_lead_by_any_start_of_it(company: str, query: str) -> None:
    subject = lead(company=company or "x")
    for word in words(company):
        assert matches_search(search_words(subject), query_words(word[: max(1, len(word) // 2)]))
    # A query is a match exactly when each of its words starts one of the lead's words.
    expected = all(
        any(
            mine.startswith(wanted)
            for mine in words(company or "x") + words("Eva de Vries eva.devries@fabrikam.nl")
        )
        for wanted in query_words(query)
    )
    assert matches_search(search_words(subject), query_words(query)) == expected


def test_a_lead_keeps_its_longest_words_only_and_at_most_24() -> None:
    assert search_words(lead()) == (
        "bv",
        "devries",
        "eva",
        "fabrikam",
        "nl",
        "vries",
    )  # "de" starts "devries"
    assert "eva" not in search_words(lead(company="Evaluation Partners"))
    many = lead(company=" ".join(f"w{n:02d}x" for n in range(40)))
    assert len(search_words(many)) == MAX_WORDS_PER_LEAD
    # Company words come first: the contact's are the ones a very long company name crowds out.
    assert "eva" not in search_words(many)


def test_an_expired_lead_has_only_its_company_words() -> None:
    subject = lead()
    expired = subject.model_copy(update={"customer": subject.customer.without_contact_details()})
    assert search_words(expired) == ("bv", "fabrikam")
    change = derived_change(subject, expired, (SearchWords(),))
    assert change.put == ()
    assert all(key.startswith("word|") for key in change.delete)
    assert {key.split("|")[1] for key in change.delete} == {"devries", "eva", "nl", "vries"}


def test_the_expiry_order_puts_leads_without_one_last_newest_first() -> None:
    soon = lead(expires=NOW + timedelta(hours=2))
    later = lead(expires=NOW + timedelta(days=3))
    old_none = lead(expires=None, created=NOW - timedelta(days=1))
    new_none = lead(expires=None, created=NOW)
    keys = sorted(expiry_key(item) for item in (new_none, later, old_none, soon))
    assert keys == [expiry_key(soon), expiry_key(later), expiry_key(new_none), expiry_key(old_none)]
    assert [row.row_key for row in ExpiryOrder().index_rows(soon)] == [expiry_key(soon)]


def test_a_prefix_range_holds_exactly_the_words_that_start_with_it() -> None:
    lo, hi = prefix_range("eva")
    inside = [word_row_key(word, "0" * 23) for word in ("eva", "evaluation", "evaz")]
    outside = [word_row_key(word, "0" * 23) for word in ("ev", "evb", "ewa", "eu")]
    assert all(lo <= key < hi for key in inside)
    assert not any(lo <= key < hi for key in outside)


def test_a_lead_with_two_words_of_one_prefix_is_shown_at_the_first() -> None:
    subject = lead(company="Evers Evi", first=None, last=None, email=None)
    assert is_first_word_row(word_row_key("evers", subject.id), subject, "ev")
    assert not is_first_word_row(word_row_key("evi", subject.id), subject, "ev")
    assert is_first_word_row(word_row_key("evi", subject.id), subject, "evi")


def test_the_read_plan() -> None:
    searching = LeadQuery(words=("de", "fabrik"))
    assert most_selective(("de", "fabrik", "vries")) == "fabrik"
    assert read_plan(LeadQuery(), SortOrder.CREATED) == ReadPlan(ReadOrder.CREATED)
    assert read_plan(searching, SortOrder.CREATED) == ReadPlan(ReadOrder.WORDS, "fabrik")
    # Sorted by expiry, the search is a filter on the leads read in that order.
    assert read_plan(searching, SortOrder.EXPIRY) == ReadPlan(ReadOrder.EXPIRY)


def test_search_sort_and_qualification_parameters() -> None:
    request, errors = parse_list_request(
        {"q": "  Éva   FABRIK ", "sort": "Expiry", "qualification": "salesqualified", "tab": "qualified"}
    )
    assert errors == []
    assert request.query.words == ("eva", "fabrik")
    assert request.plan == ReadPlan(ReadOrder.EXPIRY)
    assert request.query.column_filters()["Qualification"] == frozenset({"SalesQualified"})
    # Blank, or nothing but punctuation: nothing to search for.
    assert parse_list_request({"q": " -- "})[0].query.words == ()
    # A qualification outside the tab matches nothing (and reads nothing).
    wrong_tab = parse_list_request({"qualification": "Direct", "tab": "qualified"})[0]
    assert wrong_tab.query.matches_nothing


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x" * 201}, "q"),
        ({"sort": "name"}, "sort"),
        ({"qualification": "Hot"}, "qualification"),
    ],
)
def test_bad_search_sort_and_qualification_are_named(params: dict[str, str], field: str) -> None:
    _, errors = parse_list_request(params)
    assert [error.field for error in errors] == [field]


def test_a_token_is_good_only_for_the_order_and_search_it_came_from() -> None:
    subject = lead()
    words_token = encode_continuation(Position(ReadOrder.WORDS, word_row_key("fabrikam", subject.id)))
    assert parse_list_request({"q": "fab", "continuationToken": words_token})[1] == []
    for other in ({"q": "eva"}, {}, {"q": "fab", "sort": "expiry"}):
        _, errors = parse_list_request({**other, "continuationToken": words_token})
        assert [error.field for error in errors] == ["continuationToken"]
    expiry_token = encode_continuation(Position(ReadOrder.EXPIRY, expiry_key(subject)))
    assert parse_list_request({"sort": "expiry", "continuationToken": expiry_token})[1] == []
