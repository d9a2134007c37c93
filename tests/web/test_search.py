"""One search box (``q`` on GET /api/v1/tickets and /api/v1/map/cases): a case by its number or last digits,
by the name or code of its cell, community or street, or by words of its description, within the caller's
scope, with the user's wildcard characters taken literally."""

from __future__ import annotations

from sqlmodel import select

from grid.models import Area
from tests.support.city import COMMUNITY_A, COMMUNITY_B, cell_code


def _numbers(api, user: str, q: str, **params) -> set[str]:  # noqa: ANN001, ANN003
    r = api.get(user, "/api/v1/tickets", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return {t["case_number"] for t in r.json()["items"]}


def _file(api, user: str = "worker_a", community: str = COMMUNITY_A, k: int = 1, **fields) -> str:  # noqa: ANN001, ANN003
    r = api.report(user, community=community, k=k, **fields)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]["case_number"]


def test_a_case_is_found_by_its_full_number_and_by_its_last_digits(api) -> None:  # noqa: ANN001
    first = _file(api, description="井盖缺失 first")
    second = _file(api, description="井盖缺失 second")
    assert first != second and first[:-1] == second[:-1]  # same prefix: only the last digit tells them apart
    assert _numbers(api, "dispatcher", first) == {first}
    assert _numbers(api, "dispatcher", first.lower()) == {first}
    assert _numbers(api, "dispatcher", second[-4:]) == {second}
    assert _numbers(api, "dispatcher", second[-1:]) == {second}


def test_a_case_is_found_by_its_community_name_and_by_a_cell_code_prefix(api, session) -> None:  # noqa: ANN001
    area = session.exec(select(Area).where(Area.code == COMMUNITY_B)).one()
    area.name = "外滩社区"
    session.add(area)
    session.commit()
    in_a = _file(api, community=COMMUNITY_A, k=2, description="垃圾")
    in_b = _file(api, "worker_b", community=COMMUNITY_B, k=5, description="垃圾")
    assert _numbers(api, "dispatcher", "外滩") == {in_b}
    assert _numbers(api, "dispatcher", COMMUNITY_B) == {in_b}
    assert _numbers(api, "dispatcher", cell_code(COMMUNITY_A, 2)) == {in_a}
    assert _numbers(api, "dispatcher", "网格001-2") == {in_a}  # a cell's name
    assert _numbers(api, "dispatcher", COMMUNITY_A[:9]) == {in_a, in_b}  # the street's code
    assert _numbers(api, "dispatcher", COMMUNITY_A[:6]) == {in_a, in_b}  # the district's
    assert _numbers(api, "dispatcher", "31") == set()  # shorter than any area code: not every case in the city


def test_every_word_of_the_description_must_appear(api) -> None:  # noqa: ANN001
    both = _file(api, description="Overflowing bin near the school gate")
    one = _file(api, description="Broken bin lid")
    assert _numbers(api, "dispatcher", "bin school") == {both}
    assert _numbers(api, "dispatcher", "  BIN  ") == {both, one}
    assert _numbers(api, "dispatcher", "bin park") == set()


def test_a_search_keeps_the_callers_scope_and_the_other_filters(api) -> None:  # noqa: ANN001
    mine = _file(api, "worker_a", community=COMMUNITY_A, description="路灯不亮 lamp")
    theirs = _file(api, "worker_b", community=COMMUNITY_B, description="路灯不亮 lamp")
    assert _numbers(api, "dispatcher", "lamp") == {mine, theirs}
    assert _numbers(api, "worker_a", "lamp") == {mine}
    assert _numbers(api, "worker_a", theirs) == set()
    assert _numbers(api, "dispatcher", "lamp", area=COMMUNITY_B) == {theirs}


def test_wildcard_characters_are_literal(api) -> None:  # noqa: ANN001
    percent = _file(api, description="rubbish 100% covering the path")
    _file(api, description="rubbish 1000 bags")
    plain = _file(api, description="under_score here")
    _file(api, description="underXscore here")
    assert _numbers(api, "dispatcher", "100%") == {percent}
    assert _numbers(api, "dispatcher", "%") == {percent}
    assert _numbers(api, "dispatcher", "under_score") == {plain}


def test_an_empty_search_is_no_filter_and_a_long_one_is_refused(api) -> None:  # noqa: ANN001
    a, b = _file(api, description="one"), _file(api, description="two")
    assert _numbers(api, "dispatcher", "   ") >= {a, b}
    r = api.get("dispatcher", "/api/v1/tickets", params={"q": "x" * 101})
    assert r.status_code == 422
    assert r.json()["error"] == "query_too_long" and r.json()["max_length"] == 100


def test_the_map_finds_a_case_by_the_same_search(api) -> None:  # noqa: ANN001
    wanted = _file(api, description="倒伏的树 fallen tree")
    _file(api, description="other")
    r = api.get("dispatcher", "/api/v1/map/cases", params={"q": "fallen tree"})
    assert r.status_code == 200, r.text
    body = r.json()
    number = body["fields"].index("case_number")
    assert [row[number] for row in body["rows"]] == [wanted] and body["total"] == 1
    assert api.get("worker_b", "/api/v1/map/cases", params={"q": "fallen tree"}).json()["total"] == 0


def test_a_case_is_found_by_its_address_alone_or_with_words_of_its_description(api, engine) -> None:  # noqa: ANN001
    """The address the case shows ("复兴东路14号") finds it: before, a clerk who typed it found nothing."""
    road = _file(api, address="福州路 99号", description="垃圾桶满溢")
    other = _file(api, address="复兴东路14号", description="垃圾桶满溢", k=2)
    assert _numbers(api, "dispatcher", "福州路") == {road}
    assert _numbers(api, "dispatcher", "复兴东路14号") == {other}
    assert _numbers(api, "dispatcher", "福州路 满溢") == {road}  # a word of each
    assert _numbers(api, "dispatcher", "福州路 井盖") == set()
    assert _numbers(api, "dispatcher", "垃圾桶") == {road, other}
    if engine.dialect.name == "postgresql":  # served by a trigram index, as the description is (migration 0016)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_trgm_ticket_address'").first()
