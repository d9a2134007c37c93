"""The default category catalogue and departments, loadable with ``gridops catalogue load``.

Codes follow the usual digital-urban-management layout: a kind letter (C = component 部件,
E = event 事件), a 2-digit major class and a 2-digit minor class. Limits are hours per urgency
(normal, urgent, critical), counted in working time (W) or natural time (N)."""

from __future__ import annotations

from sqlmodel import Session, select

from grid import refcache
from grid.models import Category, CategoryKind, Department, TimeBasis


def categories(session: Session) -> dict[str, Category]:
    """Every category by code (active or not), from the per-process reference cache."""
    return refcache.cached(session, "categories", lambda s: {c.code: c for c in refcache.rows(s, Category)})


def departments(session: Session) -> dict[str, Department]:
    """Every department by code, from the per-process reference cache."""
    return refcache.cached(session, "departments", lambda s: {d.code: d for d in refcache.rows(s, Department)})


DEPARTMENTS: list[tuple[str, str, str]] = [
    ("SANITATION", "区环卫所", "Sanitation Office"),
    ("ENFORCEMENT", "城管执法大队", "Urban Management Enforcement"),
    ("WATER", "区水务局", "Water Authority"),
    ("POWER", "供电公司", "Power Supply Company"),
    ("ROADS", "市政道路管理所", "Municipal Roads Office"),
    ("LIGHTING", "路灯管理所", "Street Lighting Office"),
    ("GREENING", "绿化市容局", "Greening and City Appearance Bureau"),
    ("HOUSING", "区房管局", "Housing Administration"),
    ("TRAFFIC", "交警支队", "Traffic Police"),
    ("EMERGENCY", "区应急管理局", "Emergency Management Bureau"),
    ("MARKET", "市场监管局", "Market Regulation Bureau"),
    ("STREET_OFFICE", "街道办事处", "Street Office"),
]

MAJORS: dict[str, tuple[str, str]] = {
    "C01": ("公用设施", "Public utilities"),
    "C02": ("道路交通", "Roads and traffic"),
    "C03": ("市容环境", "City appearance"),
    "C04": ("园林绿化", "Greenery"),
    "C05": ("房屋土地", "Buildings and land"),
    "C06": ("其他设施", "Other facilities"),
    "E01": ("市容环境", "City appearance and environment"),
    "E02": ("宣传广告", "Advertising"),
    "E03": ("施工管理", "Construction"),
    "E04": ("街面秩序", "Street order"),
    "E05": ("突发事件", "Emergencies"),
    "E06": ("其他事件", "Other events"),
}

W, N = TimeBasis.working, TimeBasis.natural

# code, zh name, en name, default department, (normal, urgent, critical) hours, basis
MINORS: list[tuple[str, str, str, str, tuple[float, float, float], TimeBasis]] = [
    ("C0101", "上水井盖", "Water-supply manhole cover", "WATER", (6, 3, 1), N),
    ("C0102", "污水井盖", "Sewage manhole cover", "WATER", (6, 3, 1), N),
    ("C0103", "雨水井盖", "Storm-drain cover", "WATER", (6, 3, 1), N),
    ("C0104", "电力井盖", "Power manhole cover", "POWER", (6, 3, 1), N),
    ("C0105", "消防栓", "Fire hydrant", "WATER", (16, 8, 2), W),
    ("C0106", "路灯", "Street light", "LIGHTING", (16, 8, 4), W),
    ("C0201", "交通信号灯", "Traffic signal", "TRAFFIC", (8, 4, 1), N),
    ("C0202", "交通标志牌", "Traffic sign", "TRAFFIC", (16, 8, 4), W),
    ("C0203", "道路护栏", "Road guardrail", "ROADS", (16, 8, 4), W),
    ("C0204", "隔离墩", "Traffic bollard", "ROADS", (16, 8, 4), W),
    ("C0301", "公共厕所", "Public toilet", "SANITATION", (8, 4, 2), W),
    ("C0302", "垃圾箱", "Litter bin", "SANITATION", (8, 4, 2), W),
    ("C0303", "报刊亭", "News kiosk", "ENFORCEMENT", (24, 8, 4), W),
    ("C0304", "广告牌匾", "Shop signboard", "ENFORCEMENT", (24, 8, 4), W),
    ("C0401", "行道树", "Street tree", "GREENING", (16, 8, 2), W),
    ("C0402", "绿地", "Green space", "GREENING", (24, 16, 8), W),
    ("C0403", "花架花钵", "Planter", "GREENING", (24, 16, 8), W),
    ("C0501", "危房", "Dangerous building", "HOUSING", (8, 4, 2), N),
    ("C0601", "监控电子眼", "CCTV camera", "TRAFFIC", (24, 16, 8), W),
    ("E0101", "暴露垃圾", "Exposed rubbish", "SANITATION", (4, 2, 1), W),
    ("E0102", "道路不洁", "Road not clean", "SANITATION", (2, 1, 0.5), W),
    ("E0103", "积存垃圾渣土", "Accumulated refuse and muck", "SANITATION", (8, 4, 2), W),
    ("E0104", "乱涂乱画", "Graffiti", "ENFORCEMENT", (16, 8, 4), W),
    ("E0105", "焚烧垃圾树叶", "Burning rubbish or leaves", "ENFORCEMENT", (2, 1, 0.5), N),
    ("E0201", "非法小广告", "Illegal small ads", "ENFORCEMENT", (8, 4, 2), W),
    ("E0202", "违规悬挂横幅", "Unauthorised banner", "ENFORCEMENT", (8, 4, 2), W),
    ("E0203", "占道广告牌", "Sign board on the pavement", "ENFORCEMENT", (8, 4, 2), W),
    ("E0301", "违法建设", "Illegal construction", "ENFORCEMENT", (160, 40, 8), W),
    ("E0302", "施工扰民", "Construction noise", "ENFORCEMENT", (4, 2, 1), N),
    ("E0303", "施工废弃料", "Construction waste", "SANITATION", (8, 4, 2), W),
    ("E0304", "道路破损", "Damaged road surface", "ROADS", (24, 8, 4), W),
    ("E0401", "无照经营游商", "Unlicensed street vending", "ENFORCEMENT", (2, 1, 0.5), W),
    ("E0402", "占道经营", "Business on the road", "ENFORCEMENT", (4, 2, 1), W),
    ("E0403", "机动车乱停放", "Illegal car parking", "TRAFFIC", (2, 1, 0.5), W),
    ("E0404", "非机动车乱停放", "Disorderly bicycle parking", "STREET_OFFICE", (4, 2, 1), W),
    ("E0405", "店外经营", "Trading outside the shop", "ENFORCEMENT", (4, 2, 1), W),
    ("E0501", "路面塌陷", "Road collapse", "ROADS", (2, 1, 0.5), N),
    ("E0502", "自来水管爆裂", "Water main burst", "WATER", (2, 1, 0.5), N),
    ("E0503", "燃气泄漏", "Gas leak", "EMERGENCY", (1, 0.5, 0.5), N),
    ("E0504", "道路积水", "Waterlogged road", "WATER", (4, 2, 1), N),
    ("E0601", "其他事件", "Other event", "STREET_OFFICE", (16, 8, 4), W),
]

# plain words a citizen would use for each minor class (the public page and the hotline): code → (zh, en)
PUBLIC_NAMES: dict[str, tuple[str, str]] = {
    "C0101": ("自来水井盖坏了或丢了", "Water manhole cover broken or missing"),
    "C0102": ("污水井盖坏了或丢了", "Sewer manhole cover broken or missing"),
    "C0103": ("雨水篦子坏了或丢了", "Storm drain grate broken or missing"),
    "C0104": ("电力井盖坏了或丢了", "Power cable cover broken or missing"),
    "C0105": ("消防栓坏了或漏水", "Fire hydrant broken or leaking"),
    "C0106": ("路灯不亮", "Street light out"),
    "C0201": ("红绿灯坏了", "Traffic lights not working"),
    "C0202": ("交通标志牌坏了或看不清", "Road sign damaged or unreadable"),
    "C0203": ("路边护栏坏了", "Roadside railing damaged"),
    "C0204": ("隔离墩坏了或挪了位置", "Road bollard damaged or out of place"),
    "C0301": ("公厕又脏又坏", "Public toilet dirty or broken"),
    "C0302": ("垃圾桶坏了或满了", "Litter bin broken or full"),
    "C0303": ("报刊亭破损", "News kiosk damaged"),
    "C0304": ("店招牌坏了有危险", "Shop sign damaged or unsafe"),
    "C0401": ("路边的树倒了或枯了", "Street tree fallen or dead"),
    "C0402": ("绿地被毁或没人管", "Green space damaged or neglected"),
    "C0403": ("花坛花盆坏了", "Planter broken"),
    "C0501": ("房子有倒塌危险", "Building in danger of collapse"),
    "C0601": ("路口监控坏了", "Street camera broken"),
    "E0101": ("垃圾没人清", "Rubbish nobody has cleared"),
    "E0102": ("马路脏了没人扫", "Street not swept"),
    "E0103": ("垃圾渣土堆着没人运", "Piles of rubbish or soil left"),
    "E0104": ("墙上乱涂乱画", "Graffiti on walls"),
    "E0105": ("有人烧垃圾或树叶", "Someone burning rubbish or leaves"),
    "E0201": ("到处贴小广告", "Flyers stuck up everywhere"),
    "E0202": ("乱挂横幅", "Banner hung without permission"),
    "E0203": ("广告牌挡了人行道", "Sign board blocking the pavement"),
    "E0301": ("有人违章搭建", "Someone building without permission"),
    "E0302": ("工地太吵", "Noisy building site"),
    "E0303": ("建筑垃圾乱倒", "Building waste dumped"),
    "E0304": ("路面坑坑洼洼", "Potholes or broken road"),
    "E0401": ("流动摊贩乱摆摊", "Street hawkers"),
    "E0402": ("摊位占了马路", "Stalls taking over the road"),
    "E0403": ("汽车乱停", "Car parked where it should not be"),
    "E0404": ("自行车电动车乱停", "Bikes and e-bikes parked everywhere"),
    "E0405": ("店家把摊摆到门外", "Shop trading on the pavement"),
    "E0501": ("路面塌了", "Road has caved in"),
    "E0502": ("水管爆了", "Burst water pipe"),
    "E0503": ("闻到煤气味", "Smell of gas"),
    "E0504": ("路上积水", "Flooded road"),
    "E0601": ("其他问题", "Something else"),
}


def load_default_catalogue(*, session: Session) -> tuple[int, int]:
    """Insert or update the default departments and categories (an admin's choices of ``active`` and
    ``after_photo_required`` stay). Idempotent. Returns (departments, categories)."""
    departments = {d.code: d for d in session.exec(select(Department))}
    for code, name, name_en in DEPARTMENTS:
        dept = departments.get(code) or Department(code=code, name=name, name_en=name_en)
        dept.name, dept.name_en = name, name_en
        session.add(dept)
    session.flush()
    categories = {c.code: c for c in session.exec(select(Category))}
    for code, name, name_en, dept_code, (normal, urgent, critical), basis in MINORS:
        major_name, major_name_en = MAJORS[code[:3]]
        public_name, public_name_en = PUBLIC_NAMES[code]
        values = dict(
            kind=CategoryKind.component if code[0] == "C" else CategoryKind.event,
            major=code[1:3],
            minor=code[3:5],
            major_name=major_name,
            major_name_en=major_name_en,
            name=name,
            name_en=name_en,
            public_name=public_name,
            public_name_en=public_name_en,
            default_department_code=dept_code,
            limit_hours_normal=normal,
            limit_hours_urgent=urgent,
            limit_hours_critical=critical,
            time_basis=basis,
        )
        cat = categories.get(code) or Category(code=code, **values)
        for key, value in values.items():
            setattr(cat, key, value)
        session.add(cat)
    session.flush()
    return len(DEPARTMENTS), len(MINORS)
