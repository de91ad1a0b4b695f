"""Walk the list's order or gather the matches (app.services.ticket_search.SearchPlan): the
choice for the cases measured at a million tickets (bench/dashboard.py's database; the figures
are PostgreSQL's estimates there: matches, and the index entries its bitmap scans read)."""
import pytest

from app.services.ticket_list import COUNT_CAP, PER_PAGE
from app.services.ticket_search import SearchPlan

MILLION = 1_000_000


@pytest.mark.parametrize("case, matches, gathered, count_walks, page_walks", [
    # the commonest word alone: 1,001 matches among 6,700 tickets walked, against 327,000 entries
    ("correo", 149_255, 326_787, True, True),
    # a common word under a broad filter (an urgency, a type): walked (35-53 ms against 136)
    ("correo+CRITICAL", 37_667, 579_150, True, True),
    ("correo+type", 49_572, 658_915, True, True),
    # under a narrow filter: the count gathered (95 ms against 155), the first page walked (30 ms
    # against 112)
    ("correo+client", 2_801, 198_498, False, True),
    ("impresora+ON_HOLD", 3_843, 190_373, False, True),
    # the count of a word in a tenth of an assignee's tickets: gathered (93 ms against 353)
    ("correo+assignee", 10_990, 400_419, False, True),
    # a word in 2.5 % of the tickets: gathered (24 ms against 111)
    ("impresora", 23_114, 47_542, False, True),
])
def test_the_cheaper_way_is_chosen_for_the_count_and_the_first_page(
        case, matches, gathered, count_walks, page_walks):
    plan = SearchPlan(matches, gathered, MILLION)
    assert plan.walks(COUNT_CAP + 1) is count_walks, case
    assert plan.walks(PER_PAGE) is page_walks, case


def test_a_deep_page_of_a_narrow_search_is_gathered_where_its_first_page_is_walked():
    plan = SearchPlan(2_801, 198_498, MILLION)  # correo under one client
    assert plan.walks(PER_PAGE)
    assert not plan.walks(20 * PER_PAGE)  # the walk would read 7,000 tickets for each match


@pytest.mark.parametrize("matches, gathered, tickets", [
    (0, 1000, MILLION),  # nothing expected: nothing to walk to
    # no bitmap scan in the plan: a word in most tickets, read by a sequential scan that stops at
    # the count's cap; left as PostgreSQL plans it
    (10, 0, MILLION),
    (10, 1000, 0),  # an empty table
])
def test_without_matches_gathering_or_tickets_nothing_is_walked(matches, gathered, tickets):
    assert not SearchPlan(matches, gathered, tickets).walks(PER_PAGE)
