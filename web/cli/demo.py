"""A demo city: Huangpu-like district cut into ~10,000 m² cells across streets and communities, the
catalogue, routing rules, a user per role, and a few hundred cases in every state."""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from PIL import Image, ImageDraw
from shapely.geometry import Point, Polygon
from sqlalchemy import insert
from sqlmodel import Session, SQLModel, select

from dispatch import service, tracking
from dispatch.evaluation import periods, rectify
from dispatch.lifecycle import find_act
from dispatch.models import Status, Ticket
from dispatch.options import DispatchOptions
from dispatch.photos import MediaStore, ProcessedImage, process_image
from geo.generate import generate_grid
from geo.index import CellIndex
from geo.loaders import GridFeature
from grid.calendars import ensure_calendars
from grid.catalogue import MINORS, load_default_catalogue
from grid.clock import set_clock, utcnow
from grid.errors import DomainError
from grid.hierarchy import cell_geometries, import_areas
from grid.models import Address, Area, AreaLevel, Department, Role, User
from grid.people import CITIZEN, Actor, create_user
from grid.routing import add_rule
from web.auth import hash_password, issue_token
from web.settings import get_settings

DISTRICT = ("310101", "黄浦区")
# A hand-drawn outline along the Huangpu river, WGS-84 (lng, lat).
OUTLINE = [
    (121.4695, 31.2430), (121.4790, 31.2455), (121.4880, 31.2442), (121.4935, 31.2428), (121.4962, 31.2395),
    (121.4975, 31.2340), (121.4990, 31.2290), (121.5010, 31.2240), (121.5015, 31.2190), (121.4990, 31.2135),
    (121.4940, 31.2100), (121.4870, 31.2075), (121.4800, 31.2060), (121.4730, 31.2072), (121.4680, 31.2105),
    (121.4650, 31.2160), (121.4640, 31.2230), (121.4655, 31.2300), (121.4660, 31.2370),
]
STREETS = ["南京东路街道", "外滩街道", "豫园街道", "老西门街道", "半淞园路街道", "小东门街道"]
COMMUNITY_STEMS = ["金陵", "宁海", "福州", "云南", "浙江", "广西", "天津", "贵州", "北京", "牛庄", "新昌", "山东",
                   "江西", "四川", "河南", "厦门", "汕头", "寿宁", "复兴", "中华", "人民", "会稽", "光启", "梦花"]

DEMO_USERS = [("worker", Role.worker), ("dispatcher", Role.dispatcher), ("shift_lead", Role.shift_lead),
              ("sanitation", Role.department), ("supervisor", Role.supervisor), ("admin", Role.admin),
              ("operator", Role.operator)]
#: the names the control room, the timelines and the case sheets show for the demo's staff (made up)
STAFF_NAMES = {"dispatcher": "王敏", "shift_lead": "陈刚", "supervisor": "周洁", "admin": "系统管理员",
               "operator": "林芳"}
#: the demo's callers and citizens (names and numbers made up)
CALLERS = [("王女士", "13800138001"), ("李先生", "13911112222"), ("张阿姨", "13712345678"), ("陈师傅", "02163218888"),
           ("赵先生", "15000001234"), ("刘女士", "18612340000")]
#: what the demo's reporters say of a closed case: level, weight, comment
RATINGS = [("very_satisfied", 40, "处理很及时，谢谢"), ("satisfied", 30, ""), ("basically_satisfied", 12, ""),
           ("dissatisfied", 6, "只清理了一半"), (None, 12, "")]  # None: not rated yet (on the call-back list)


def _voronoi_parts(polygon: Polygon, n: int, rng: random.Random) -> list[Polygon]:
    """Split a polygon into n irregular parts (Voronoi cells of random seeds), ordered north-west first."""
    minx, miny, maxx, maxy = polygon.bounds
    seeds: list[Point] = []
    while len(seeds) < n:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if polygon.contains(p):
            seeds.append(p)
    regions = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=polygon.envelope.buffer(0.01))
    parts = [r.intersection(polygon) for r in regions.geoms]
    parts = [p for p in parts if not p.is_empty and p.area > 0]
    return sorted(parts, key=lambda p: (-round(p.centroid.y, 3), p.centroid.x))


def build_city(*, session: Session, rng: random.Random) -> int:
    district = Polygon(OUTLINE)
    features = {lvl: [] for lvl in AreaLevel}
    features[AreaLevel.district].append(GridFeature(DISTRICT[0], DISTRICT[1], district, {}))
    stems = iter(COMMUNITY_STEMS)
    for s, street_geom in enumerate(_voronoi_parts(district, len(STREETS), rng), start=1):
        street_code = f"{DISTRICT[0]}{s:03d}"
        features[AreaLevel.street].append(GridFeature(street_code, STREETS[s - 1], street_geom, {}))
        for c, community_geom in enumerate(_voronoi_parts(street_geom, 4, rng), start=1):
            community_code = f"{street_code}{c:03d}"
            name = f"{next(stems)}居委"
            features[AreaLevel.community].append(GridFeature(community_code, name, community_geom, {}))
            cells = generate_grid(community_geom, shape="square", cell_area_m2=10_000)
            for k, cell in enumerate(cells, start=1):
                code = f"{community_code}{k:03d}"
                features[AreaLevel.cell].append(GridFeature(code, f"{name}{k:03d}号网格", cell, {}))
    for level in (AreaLevel.district, AreaLevel.street, AreaLevel.community, AreaLevel.cell):
        import_areas(session=session, level=level, features=features[level])
    return len(features[AreaLevel.cell])


# The demo's roads (real names of the old town's roads, laid out as a plain grid): east-west from north to
# south, north-south from west to east. Door numbers run from the west or north end, odd on one side.
EAST_WEST = ["南京东路", "福州路", "延安东路", "金陵东路", "人民路", "复兴东路", "方浜中路", "中华路", "陆家浜路"]
NORTH_SOUTH = ["西藏南路", "浙江中路", "河南南路", "四川南路", "江西中路", "中山南路"]
PLACES = [("building", "金陵大厦"), ("building", "黄浦区人民政府"), ("building", "宁海大楼"), ("building", "福州公寓"),
          ("poi", "豫园"), ("poi", "城隍庙"), ("poi", "老西门地铁站"), ("poi", "南京东路地铁站"),
          ("poi", "外滩观景平台"), ("poi", "十六铺码头"), ("poi", "大境阁"), ("poi", "文庙"), ("poi", "董家渡天主堂"),
          ("poi", "小南门消防站")]
DOOR_SPACING_M, SIDE_OFFSET_M = 150.0, 12.0


def _gazetteer(*, session: Session, index: CellIndex, seed: int) -> int:
    """Door numbers along the demo's roads and a few buildings and points of interest, each in its cell
    (deterministic by the seed; its own random numbers, so the cases stay what they were)."""
    rng = random.Random(seed + 13)
    district = Polygon(OUTLINE)
    minx, miny, maxx, maxy = district.bounds
    m_lat = 110_574.0
    m_lng = 111_320.0 * math.cos(math.radians((miny + maxy) / 2))
    rows: list[dict] = []

    def doors(road: str, start: tuple[float, float], step: tuple[float, float], side: tuple[float, float],
              pairs: int) -> None:
        """Door pairs ``step`` apart from ``start``: 1 and 2, 3 and 4 … on either side of the road."""
        placed = 0  # pairs placed: numbering starts where the road enters the district
        for j in range(pairs):
            cx, cy = start[0] + step[0] * j, start[1] + step[1] * j
            if not district.contains(Point(cx, cy)):
                continue
            for number, offset in ((2 * placed + 1, SIDE_OFFSET_M), (2 * placed + 2, -SIDE_OFFSET_M)):
                rows.append({"kind": "address", "name": f"{road}{number}号", "road": road, "number": str(number),
                             "lng": round(cx + side[0] * offset, 7), "lat": round(cy + side[1] * offset, 7)})
            placed += 1

    ew_gap = (maxy - miny) / (len(EAST_WEST) + 1)
    for i, road in enumerate(EAST_WEST, start=1):
        y = maxy - i * ew_gap + rng.uniform(-0.2, 0.2) * ew_gap
        doors(road, (minx, y), (DOOR_SPACING_M / m_lng, 0.0), (0.0, 1 / m_lat),
              int((maxx - minx) * m_lng / DOOR_SPACING_M) + 1)
    ns_gap = (maxx - minx) / (len(NORTH_SOUTH) + 1)
    for i, road in enumerate(NORTH_SOUTH, start=1):
        x = minx + i * ns_gap + rng.uniform(-0.2, 0.2) * ns_gap
        doors(road, (x, maxy), (0.0, -DOOR_SPACING_M / m_lat), (1 / m_lng, 0.0),
              int((maxy - miny) * m_lat / DOOR_SPACING_M) + 1)
    for kind, name in PLACES:
        while not district.contains(p := Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))):
            pass
        rows.append({"kind": kind, "name": name, "road": "", "number": "", "lng": round(p.x, 7),
                     "lat": round(p.y, 7)})
    found = index.locate_many(np.array([r["lng"] for r in rows]), np.array([r["lat"] for r in rows]))
    kept = [{**row, "cell_code": str(index.codes[i]), "source": "demo"} for row, i in zip(rows, found, strict=True)
            if i >= 0]
    session.execute(insert(Address), kept)
    return len(kept)


def _rules(session: Session) -> None:
    for code, _zh, _en, dept, _limits, _basis in MINORS:
        if code[:3] != "E06":  # "other events" are left to the dispatcher
            add_rule(session=session, department_code=dept, category=code, area_code=DISTRICT[0],
                     note="演示：该类别全区的主管部门")
    for street in session.exec(select(Area).where(Area.level == AreaLevel.street)):
        add_rule(session=session, department_code="STREET_OFFICE", category="E04", area_code=street.code,
                 note="演示：街面秩序先派街道办（事件先属地）")
    add_rule(session=session, department_code="EMERGENCY", category="E0501", urgency="critical",
             area_code=DISTRICT[0], note="演示：特别紧急的道路塌陷派区应急管理局")


def _users(session: Session) -> dict[str, User]:
    users: dict[str, User] = {}
    communities = session.exec(select(Area).where(Area.level == AreaLevel.community).order_by(Area.code)).all()
    for i, community in enumerate(communities):
        cells = session.exec(select(Area.code).where(Area.parent_code == community.code)).all()
        name = "worker" if i == 0 else f"worker{community.code[-6:]}"
        users[name] = create_user(session=session, username=name, role=Role.worker, cell_codes=cells,
                                  display_name=f"{community.name}网格员")
    for name, role in DEMO_USERS[1:]:
        if role != Role.department:
            users[name] = create_user(session=session, username=name, role=role, display_name=STAFF_NAMES[name])
    for dept in session.exec(select(Department)):
        name = dept.code.lower()
        users[name] = create_user(session=session, username=name, role=Role.department, department_code=dept.code,
                                  display_name=dept.name)
        users[name].is_leader = True  # the department's one demo user leads it (red lights reach the leader)
    return users


# The happy path, and the detours a case may take on it.
PATH = ["verify", "register", "dispatch", "accept", "resolve", "check_pass", "close"]


def after_photo() -> ProcessedImage:
    """The demo's photo of a handled case: resolving needs one (the catalogue's categories require it)."""
    img = Image.new("RGB", (640, 480), (86, 140, 96))
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 300, 600, 440), fill=(170, 170, 160))
    draw.text((60, 60), "gridops demo: after", fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return process_image(out.getvalue(), name="after.jpg", max_bytes=1_000_000)


def _tickets(*, session: Session, users: dict[str, User], count: int, rng: random.Random, store: MediaStore) -> None:
    actors = {name: Actor.of(session=session, user=u) for name, u in users.items()}
    workers = [a for a in actors.values() if a.role == Role.worker]
    by_cell = {c: a for a in workers for c in a.cell_codes}
    dept_actor = {a.department_code: a for a in actors.values() if a.role == Role.department}
    codes, geoms = cell_geometries(session=session)
    index = CellIndex(codes, geoms)
    options = DispatchOptions()
    photo = after_photo()
    categories = [m[0] for m in MINORS]
    # the first cases (one at each step of the path) lie in the cells of the demo's own grid worker ("worker"),
    # whose phone then shows a case in every state
    own = [k for k, code in enumerate(codes) if code in set(actors["worker"].cell_codes)] if "worker" in actors else []
    now = utcnow()
    clock = [now]
    set_clock(lambda: clock[0])
    try:
        for n in range(count):
            # the first cases stop at each step of the path in turn, so that every state is on show
            stop = n if n <= len(PATH) else rng.choices(range(len(PATH) + 1), weights=[4, 5, 6, 8, 8, 8, 6, 55])[0]
            # closed cases spread over two weeks; open ones are recent, as in a centre that keeps up
            age_h = rng.uniform(0.2, 14 * 24) if stop == len(PATH) else rng.expovariate(1 / 3)
            clock[0] = now - timedelta(hours=min(age_h, 14 * 24))
            i = rng.choice(own) if n <= len(PATH) and own else rng.randrange(len(codes))
            cell = geoms[i]
            minx, miny, maxx, maxy = cell.bounds
            point = cell.representative_point()
            for _try in range(20):
                p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
                if cell.contains(p):
                    point = p
                    break
            by_worker = n >= len(PATH) + 1 and rng.random() < 0.7
            source = "worker" if by_worker else rng.choice(["hotline", "citizen"])
            reporter = {"worker": by_cell[codes[i]], "hotline": actors.get("operator", actors["dispatcher"]),
                        "citizen": CITIZEN}[source]
            caller = rng.choice(CALLERS) if source != "worker" else ("", "")
            category = rng.choice(categories)
            result = service.report(
                session=session, actor=reporter, index=index, options=options, lat=point.y, lng=point.x,
                category_code=category, description=rng.choice(DESCRIPTIONS[category]),
                urgency=rng.choices(["normal", "urgent", "critical"], [80, 15, 5])[0],
                source=None if by_worker else source, contact_name=caller[0], contact_phone=caller[1],
                confidential=rng.random() < 0.2, tracking_hash=tracking.new_token()[1] if source == "citizen" else None,
            )
            _advance(session=session, ticket=result.ticket, actors=actors, by_cell=by_cell, dept_actor=dept_actor,
                     rng=rng, clock=clock, now=now, options=options, stop=stop, plain=n <= len(PATH),
                     store=store, photo=photo)
            if result.ticket.status == Status.closed and source != "worker":
                _rate(session=session, ticket=result.ticket, operator=actors.get("operator"), rng=rng,
                      clock=clock, now=now, options=options)
            session.commit()
            store.keep_written()
    finally:
        set_clock(None)


def _rate(*, session: Session, ticket: Ticket, operator: Actor | None, rng: random.Random, clock: list, now,  # noqa: ANN001
          options: DispatchOptions) -> None:
    """The reporter's rating of a closed public case: on the web or by the operator's call-back."""
    level, comment = rng.choices([(lv, c) for lv, _, c in RATINGS], [w for _, w, _ in RATINGS])[0]
    if level is None:
        return
    clock[0] = min(now, clock[0] + timedelta(hours=rng.uniform(1, 24)))
    by_phone = ticket.source == "hotline" or rng.random() < 0.5
    actor = operator if by_phone and operator else CITIZEN
    try:
        service.act_on(session=session, actor=actor, ticket=ticket, action="rate", options=options,
                       payload={"level": level, "comment": comment})
    except DomainError:
        pass


def _advance(*, session, ticket: Ticket, actors, by_cell, dept_actor, rng, clock, now, options, stop: int,  # noqa: ANN001
             plain: bool, store: MediaStore, photo: ProcessedImage) -> None:
    """Walk the case along PATH up to step ``stop``, with random detours unless ``plain``."""
    detours = {} if plain else {
        "accept": rng.random() < 0.1, "resolve": rng.random() < 0.12, "register": rng.random() < 0.05}
    steps = 0
    while ticket.status != Status.closed and steps < 12:
        steps += 1
        action = {Status.verifying: "verify", Status.reported: "register", Status.registered: "dispatch",
                  Status.dispatched: "accept", Status.accepted: "resolve", Status.rework: "resolve",
                  Status.resolved: "check_pass", Status.checked: "close"}.get(ticket.status)
        if action is None or PATH.index(action) >= stop:
            break
        if action == "register" and detours.pop("register", False):
            action = "reject"
        elif action == "resolve" and detours.pop("accept", False):
            action = rng.choice(["request_extension", "request_suspension", "request_return"])
        elif action == "check_pass" and detours.pop("resolve", False):
            action = "check_fail"
        actor = {
            "verify": by_cell[ticket.cell_code], "check_pass": by_cell[ticket.cell_code],
            "check_fail": by_cell[ticket.cell_code], "register": actors["shift_lead"], "reject": actors["shift_lead"],
            "close": actors["shift_lead"], "dispatch": actors["dispatcher"],
        }.get(action) or dept_actor.get(ticket.department_code)
        step_end = min(now, clock[0] + timedelta(minutes=rng.uniform(5, 240)))
        clock[0] = step_end
        try:
            find_act(ticket.status, action, actor.role)
            service.act(session=session, actor=actor, ticket_id=ticket.id, action=action, options=options,
                        reason=REASONS.get(action, ""), payload={"hours": 8} if action == "request_extension" else {},
                        photos=[photo] if action == "resolve" else (), store=store)
        except DomainError:
            break
        if action in ("request_extension", "request_suspension", "request_return") and rng.random() < 0.6:
            decision = {"request_extension": "approve_extension", "request_suspension": "approve_suspension",
                        "request_return": "approve_return"}[action]
            clock[0] = min(now, clock[0] + timedelta(minutes=rng.uniform(5, 60)))
            service.act(session=session, actor=actors["dispatcher"], ticket_id=ticket.id, action=decision,
                        options=options)
            if decision == "approve_suspension":
                break
        elif action.startswith("request_"):
            break
        if action == "reject":
            break


REASONS = {
    "reject": "现场核实无此问题", "request_extension": "需要协调多个部门, 申请延期",
    "request_suspension": "需列入年度改造计划",
    "request_return": "不属于本单位职责", "resolve": "已处置完毕, 现场已恢复", "check_fail": "现场仍有残留, 需返工",
}
#: what a grid worker or a caller would write, for each minor class (issue 12: by major class, a gas leak
#: could read "自来水管爆裂冒水")
DESCRIPTIONS = {
    "C0101": ["上水井盖缺失, 存在安全隐患", "上水井盖破损下沉"],
    "C0102": ["污水井盖松动, 车辆经过有响声", "污水井盖破裂"],
    "C0103": ["雨水井盖缺失, 已用锥桶临时围挡", "雨水箅子被垃圾堵塞"], "C0104": ["电力井盖破损下沉", "电力井盖移位"],
    "C0105": ["消防栓被撞歪, 有渗水", "消防栓被杂物遮挡"], "C0106": ["路灯夜间不亮", "路灯灯杆倾斜"],
    "C0201": ["路口信号灯不亮", "信号灯黄灯一直闪烁"], "C0202": ["交通标志牌倾斜", "标志牌被树枝遮挡"],
    "C0203": ["道路护栏被撞变形", "护栏缺失一段"], "C0204": ["隔离墩被撞倒在路中", "隔离墩破碎"],
    "C0301": ["公厕门锁损坏", "公厕洗手池堵塞"], "C0302": ["垃圾箱满溢未清运", "垃圾箱破损"],
    "C0303": ["报刊亭长期关闭, 外立面破旧"], "C0304": ["店招牌匾破损有坠落风险", "广告牌匾松动"],
    "C0401": ["行道树枝干折断", "行道树倾斜压到电线"], "C0402": ["绿地被踩踏裸露", "绿地内有人种菜"],
    "C0403": ["花钵破损", "花架倒伏"], "C0501": ["老旧房屋外墙开裂", "危房外墙有砖块掉落"],
    "C0601": ["路口监控探头损坏", "电子眼被树枝遮挡"],
    "E0101": ["路边有暴露垃圾堆放", "小区门口垃圾无人清运"], "E0102": ["道路不洁, 有大量落叶", "路面有油污"],
    "E0103": ["空地积存建筑渣土", "楼道外积存生活垃圾"], "E0104": ["墙面乱涂乱画", "变电箱上被喷涂"],
    "E0105": ["有人在绿地焚烧树叶", "路边焚烧垃圾冒黑烟"], "E0201": ["墙面、电线杆有小广告", "楼道内张贴小广告"],
    "E0202": ["违规悬挂横幅", "过街横幅破损下垂"], "E0203": ["人行道上摆放广告牌", "店门口立式广告牌占道"],
    "E0301": ["违章搭建彩钢板房", "屋顶违法加建"], "E0302": ["夜间施工扰民", "凌晨渣土车作业噪声大"],
    "E0303": ["施工废弃料堆在路边", "装修垃圾随意丢弃"], "E0304": ["道路破损出现坑洼", "人行道地砖松动"],
    "E0401": ["无照游商在路口摆摊", "流动摊贩占用盲道"], "E0402": ["沿街摊位占用机动车道", "早市占道经营"],
    "E0403": ["机动车占用人行道停放", "消防通道被车辆堵塞"], "E0404": ["共享单车乱停放", "电动车堵住小区出入口"],
    "E0405": ["沿街商户店外经营", "餐馆在店外摆桌"], "E0501": ["路面塌陷, 已设临时围挡", "路面出现下沉裂缝"],
    "E0502": ["自来水管爆裂冒水", "路面有水不断涌出"], "E0503": ["闻到燃气味", "燃气管道接口漏气"],
    "E0504": ["下雨后路面积水严重", "下穿通道积水"], "E0601": ["其他需要处理的问题"],
}


def reset_all(session: Session) -> None:
    for table in reversed(SQLModel.metadata.sorted_tables):
        session.execute(table.delete())
    session.commit()


DEMO_PASSWORD = "gridops-demo"


def _rectify_last_week(session: Session) -> int:
    """The last whole week evaluated, as the scheduler does each month: its poor results' items on the board."""
    zone = ZoneInfo(get_settings().timezone)
    week = (utcnow().astimezone(zone) - timedelta(days=7)).isocalendar()
    period = periods.parse(f"{week.year}-W{week.week:02d}", zone)
    made = rectify.open_items(session=session, items=rectify.due_items(session=session, period=period, now=utcnow()))
    session.commit()
    return len(made)


def build_demo(
    *, session: Session, media_dir: Path, tickets: int = 300, reset: bool = False, seed: int = 20261122,
    progress: Callable[[str], None] = print,
) -> list[tuple[str, str, str]]:
    """Build the demo city once (or again with reset) and return (user, role, fresh token) per role. The
    handled cases' after-photos are written under ``media_dir`` (the app's media directory)."""
    if reset:
        reset_all(session)
    if session.exec(select(Area).where(Area.level == AreaLevel.cell)).first() is None:
        rng = random.Random(seed)
        ensure_calendars(session=session)
        load_default_catalogue(session=session)
        cells = build_city(session=session, rng=rng)
        progress(f"demo city: {cells} cells in {len(STREETS)} streets")
        addresses = _gazetteer(session=session, index=CellIndex(*cell_geometries(session=session)), seed=seed)
        progress(f"demo addresses: {addresses} door numbers, buildings and points of interest")
        _rules(session)
        users = _users(session)
        password = hash_password(DEMO_PASSWORD)
        for user in users.values():
            user.password_hash = password
            session.add(user)
        session.commit()
        _tickets(session=session, users=users, count=tickets, rng=rng, store=MediaStore(media_dir))
        progress(f"demo cases: {tickets}")
        progress(f"demo rectification items (整改): {_rectify_last_week(session)}")
    out = []
    for name, role in DEMO_USERS:
        user = session.exec(select(User).where(User.username == name)).one()
        out.append((name, str(role), issue_token(session=session, user=user, name="demo")))
    session.commit()
    return out
