"""Deterministic fake job-board content in TopCV's current markup (and JSON-LD detail pages).

Why: the pipeline must be demonstrable and testable end to end without touching a real site.
These generators produce the same class names and shapes as the real 2025 TopCV pages (see
``realdata/topcv_listing_html``) — every salary shape, single and multi-city locations with
their tooltips and "& N nơi khác", tags with a "+N" tooltip, "Đăng …"/"Cập nhật …" labels,
verified and Pro employers — so ``topcv.parse_listing`` reads them like the real thing. Content
depends only on ``seed`` (and, for some jobs' salaries, ``version``), so two crawls of the same
board see the same jobs and a ``version`` bump makes a known subset change.

``demo_board.DemoBoard`` serves these pages over HTTP.
"""

from __future__ import annotations

import html
import json
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

REFERENCE_DATE = date(2025, 10, 18)
#: The board's time zone: its dates ("Hạn nộp hồ sơ: 05/12/2026") are Vietnamese calendar days.
BOARD_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def board_today() -> date:
    """Today on the board's calendar: what a live board's detail dates count from.

    Why not ``REFERENCE_DATE``: a detail page's deadline is an absolute date that wins over the
    card's "Còn N ngày"; dated from a fixed day long past, every demo posting would show as
    expired. Card content never depends on the day (a second run still finds it unchanged).
    """
    return datetime.now(BOARD_TZ).date()
#: The demo board's public name: its pages use it, whatever loopback port serves them, so a job
#: keeps the same URL (and content hash) from one demo run to the next. ``.invalid`` is reserved
#: (RFC 2606): nothing ever resolves it; the crawler reaches it through ``FetchSettings.routes``.
CANONICAL_BASE = "https://demo.jobinsight.invalid"

_TITLES = (
    "Lập Trình Viên Python",
    "Kỹ Sư Phần Mềm Java",
    "Data Engineer",
    "Chuyên Viên Phân Tích Dữ Liệu",
    "Frontend Developer (ReactJS)",
    "Backend Developer (NodeJS)",
    "Kiểm Thử Phần Mềm (Tester/QA)",
    "DevOps Engineer",
    "Kỹ Sư Cầu Nối BrSE Tiếng Nhật",
    "Nhân Viên Kinh Doanh Phần Mềm",
    "Trưởng Phòng Công Nghệ Thông Tin",
    "Mobile Developer (Flutter)",
    "Business Analyst",
    "Quản Trị Hệ Thống Mạng",
    "AI Engineer",
    "Game Developer (Unity)",
    "Chuyên Viên An Ninh Mạng",
    "Nhân Viên Kế Toán Tổng Hợp",
    "Senior .NET Developer",
    "Thực Tập Sinh Lập Trình PHP",
)
_DECORATIONS = (
    ("", ""),
    ("", ""),
    ("", " - Thu Nhập Upto 40 Triệu"),
    ("[HN] ", ""),
    ("", " Gấp"),
    ("[HCM] ", " - Đi Làm Ngay"),
    ("", " (Từ 2 Năm Kinh Nghiệm)"),
    ("", " - Lương Cạnh Tranh, Thưởng Tháng 13"),
)
_COMPANIES = (
    "CÔNG TY CỔ PHẦN PHẦN MỀM SAO VIỆT",
    "Công ty TNHH Giải Pháp Công Nghệ Hoàng Long",
    "CÔNG TY CỔ PHẦN CÔNG NGHỆ VÀ TRUYỀN THÔNG BẮC NAM",
    "Ngân hàng TMCP Thịnh Phát",
    "Công ty TNHH Dịch Vụ Dữ Liệu Mekong",
    "CÔNG TY TNHH THƯƠNG MẠI ĐIỆN TỬ AN PHÚ",
    "Công ty Cổ phần Tập đoàn Trường Sơn",
    "CÔNG TY TNHH PHÁT TRIỂN GAME LẠC HỒNG",
    "Công ty TNHH Tư Vấn Kế Toán Minh Tâm",
    "CÔNG TY CỔ PHẦN FINTECH VIỆT",
    "Công ty TNHH Kỹ Thuật Số Đông Á",
    "CÔNG TY TNHH GIẢI PHÁP NHÂN SỰ TÂN TIẾN",
)
_CITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Hà Nội", ("Cầu Giấy", "Đống Đa", "Thanh Xuân", "Nam Từ Liêm", "Hai Bà Trưng")),
    ("Hồ Chí Minh", ("Quận 1", "Quận 7", "Tân Bình", "Bình Thạnh", "Thủ Đức")),
    ("Đà Nẵng", ("Hải Châu", "Sơn Trà")),
    ("Hải Phòng", ()),
    ("Bình Dương", ("Thuận An", "Dĩ An")),
    ("Cần Thơ", ("Ninh Kiều",)),
    ("Hồ Chí Minh (mới)", ("Phường Sài Gòn",)),
)
_EXPERIENCE = ("Không yêu cầu", "Dưới 1 năm", "1 năm", "2 năm", "3 năm", "5 năm", "Trên 5 năm")
_CATEGORY_TAGS = (
    "Python",
    "Java",
    "ReactJS",
    "NodeJS",
    "SQL",
    "AWS",
    "Docker",
    "Kubernetes",
    "IT - Phần mềm",
    "Kế toán tổng hợp",
    "Data Analyst",
    "Spring Boot",
)
_ATTRIBUTE_TAGS = (
    "Tiếng Anh Giao tiếp cơ bản",
    "Nghỉ thứ 7",
    "Tuổi 22 - 35",
    "Từ 24 tuổi trở lên",
    "Tiếng Nhật N2",
)
_POSTED = (
    ("hôm nay", 0),
    ("1 ngày trước", 1),
    ("2 ngày trước", 2),
    ("4 ngày trước", 4),
    ("1 tuần trước", 7),
    ("2 tuần trước", 14),
)
_UPDATED = ("48 giây trước", "5 phút trước", "15 phút trước", "1 giờ trước", "4 giờ trước", "1 ngày trước")


@dataclass(frozen=True, slots=True)
class DemoSalary:
    """A salary as shown on the card plus its structured meaning (for JSON-LD ``baseSalary``)."""

    text: str
    currency: str | None = None
    low: float | None = None
    high: float | None = None
    unit: str | None = None
    with_icon: bool = False


@dataclass(frozen=True, slots=True)
class DemoJob:
    index: int
    job_id: str
    slug: str
    title: str
    company: str
    company_slug: str
    company_id: int
    salary: DemoSalary
    cities: tuple[tuple[str, tuple[str, ...]], ...]
    experience: str
    tags: tuple[str, ...]
    attribute_tags: tuple[str, ...]
    posted: str
    posted_days: int
    updated: str
    days_left: int
    verified: bool
    pro: bool
    badges: tuple[str, ...]
    brand_url: bool
    relative_url: bool
    description: str = field(default="")

    @property
    def location_text(self) -> str:
        names = [c for c, _ in self.cities]
        if len(names) >= 3:
            return f"{names[0]} & {len(names) - 1} nơi khác"
        return ", ".join(names)

    @property
    def location_tooltip(self) -> str:
        lines = [f"{c}: {', '.join(d)}" if d else c for c, d in self.cities]
        return "<p style='text-align: left;margin-bottom: 0'>" + "<br/>".join(lines) + "</p>"

    def path(self) -> str:
        if self.brand_url:
            return f"/brand/{self.company_slug}/tuyen-dung/{self.slug}-j{self.job_id}.html"
        return f"/viec-lam/{self.slug}/{self.job_id}.html"

    def company_path(self) -> str:
        if self.pro:
            return f"/brand/{self.company_slug}?id={self.company_id}"
        return f"/cong-ty/{self.company_slug}/{self.company_id}.html"


def slugify(text: str) -> str:
    """ASCII slug the way TopCV writes them (``"Kế Toán"`` -> ``"ke-toan"``)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "job"


def _salary(rng: random.Random) -> DemoSalary:
    shape = rng.choices(
        [
            "range",
            "negotiable",
            "negotiable2",
            "from",
            "upto",
            "usd_range",
            "usd_upto",
            "usd_from",
            "hourly",
            "piece",
        ],
        weights=[40, 14, 4, 8, 8, 8, 4, 4, 5, 2],
    )[0]
    if shape == "range":
        low = rng.choice([7, 7.5, 8, 10, 12, 15, 20, 25, 30])
        high = low + rng.choice([2, 2.5, 3, 5, 10])
        return DemoSalary(f"{_n(low)} - {_n(high)} triệu", "VND", low * 1e6, high * 1e6, "MONTH")
    if shape == "negotiable":
        return DemoSalary("Thoả thuận", with_icon=True)
    if shape == "negotiable2":
        return DemoSalary("Thỏa thuận", with_icon=True)
    if shape == "from":
        low = rng.choice([10, 15, 20, 30])
        return DemoSalary(f"Từ {low} triệu", "VND", low * 1e6, None, "MONTH")
    if shape == "upto":
        high = rng.choice([15, 20, 30, 40])
        return DemoSalary(f"Tới {high} triệu", "VND", None, high * 1e6, "MONTH")
    if shape == "usd_range":
        low = rng.choice([800, 1000, 1500, 2000])
        high = low + rng.choice([500, 1000, 1500])
        return DemoSalary(f"{low:,} - {high:,} USD", "USD", float(low), float(high), "MONTH")
    if shape == "usd_upto":
        high = rng.choice([2000, 3000, 4500])
        return DemoSalary(f"Tới {high:,} USD", "USD", None, float(high), "MONTH")
    if shape == "usd_from":
        low = rng.choice([900, 1200, 2500])
        return DemoSalary(f"Từ {low:,} USD", "USD", float(low), None, "MONTH")
    if shape == "hourly":
        low = rng.choice([25, 30, 40])
        return DemoSalary(f"{low} k - {low + 10} k /giờ", "VND", low * 1e3, (low + 10) * 1e3, "HOUR")
    return DemoSalary("Tới 10 k /sp")  # piece rate: no schema.org unit, so no structured value


def _n(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def generate_jobs(count: int, *, seed: int = 7, version: int = 0, changing_every: int = 5) -> list[DemoJob]:
    """``count`` jobs; ids are stable per index. With ``version != 0`` the salary of every
    ``changing_every``-th job (index 0, 5, 10, …) is drawn again, everything else is unchanged."""
    jobs: list[DemoJob] = []
    for index in range(count):
        rng = random.Random(f"{seed}:{index}")
        prefix, suffix = rng.choice(_DECORATIONS)
        base_title = rng.choice(_TITLES)
        title = f"{prefix}{base_title}{suffix}"
        company = rng.choice(_COMPANIES)
        n_cities = rng.choices([1, 2, 3, 4], weights=[60, 20, 12, 8])[0]
        cities = []
        for city, districts in rng.sample(_CITIES, n_cities):
            picked = (
                tuple(rng.sample(districts, min(len(districts), rng.choice([1, 1, 2])))) if districts else ()
            )
            cities.append((city, picked))
        tags = tuple(rng.sample(_CATEGORY_TAGS, rng.choice([1, 2, 3, 4, 5])))
        attrs = tuple(rng.sample(_ATTRIBUTE_TAGS, rng.choice([0, 0, 1, 2])))
        posted, posted_days = rng.choice(_POSTED)
        salary_rng = (
            random.Random(f"{seed}:{index}:salary:{version}")
            if (version and index % changing_every == 0)
            else rng
        )
        salary = _salary(salary_rng)
        badges = tuple(b for b, p in (("Nổi bật", 0.15), ("GẤP", 0.1)) if rng.random() < p)
        job_id = str(2_000_000 + index * 7 + seed)
        job = DemoJob(
            index=index,
            job_id=job_id,
            slug=slugify(title),
            title=title,
            company=company,
            company_slug=slugify(company),
            company_id=10_000 + _COMPANIES.index(company),
            salary=salary,
            cities=tuple(cities),
            experience=rng.choice(_EXPERIENCE),
            tags=tags,
            attribute_tags=attrs,
            posted=posted,
            posted_days=posted_days,
            updated=rng.choice(_UPDATED),
            days_left=rng.randint(3, 40),
            verified=rng.random() < 0.4,
            pro=rng.random() < 0.15,
            badges=badges,
            brand_url=rng.random() < 0.1,
            relative_url=rng.random() < 0.15,
            description=(
                f"<h3>Mô tả công việc</h3><ul><li>Phát triển và vận hành hệ thống cho {html.escape(company)}.</li>"
                f"<li>Làm việc với {', '.join(html.escape(t) for t in tags)}.</li></ul>"
                "<h3>Yêu cầu ứng viên</h3><p>Có kinh nghiệm " + html.escape(rng.choice(_EXPERIENCE)) + ".</p>"
            ),
        )
        jobs.append(job)
    return jobs


# -- HTML rendering ------------------------------------------------------------------------------


def _a(value: str) -> str:
    return html.escape(value, quote=True)


def render_card(job: DemoJob, base_url: str, position: int) -> str:
    """One ``div.job-item-search-result`` card, structured like the real 2025 markup."""
    tracking = f"ta_source=JobSearchList_LinkDetail&amp;u_sr_id=demo{job.index:05d}_{position}"
    # Relative links resolve against the page's URL: the public name when the crawler reaches a
    # board through a route (``FetchSettings.routes``), like on a real site.
    job_href = f"{job.path()}?{tracking}" if job.relative_url else f"{base_url}{job.path()}?{tracking}"
    company_href = f"{base_url}{job.company_path()}"
    logo = f"/static/company_logos/{job.company_slug}.png"
    salary_html = ('\n<i class="fa-solid fa-circle-dollar"></i>\n' if job.salary.with_icon else "") + _a(
        job.salary.text
    )
    badges = "".join(
        f'<label class="label {"label-danger" if b == "GẤP" else "tag-highlight-label"}">{_a(b)}</label>'
        for b in job.badges
    )
    verified = (
        '<span class="icon-verified-employer level-five"><i class="fa-solid fa-circle-check '
        'icon-verified-employer-tooltip" data-toggle="tooltip" data-html="true" title="" '
        'data-original-title="&lt;b&gt;Nhà tuyển dụng&lt;/b&gt; đã được xác thực"></i></span>'
        if job.verified
        else ""
    )
    pro = (
        '<div class="job-pro-wrap" data-toggle="tooltip" data-original-title="Nhà tuyển dụng là Pro Company">'
        '<span class="job-pro-icon">Pro</span></div>'
        if job.pro
        else ""
    )
    all_tags = [("a", t) for t in job.tags] + [("span", t) for t in job.attribute_tags]
    shown, rest = all_tags[:3], all_tags[3:]
    tag_html = []
    for kind, text in shown:
        if kind == "a":
            tag_html.append(
                f'<a href="{base_url}/tim-viec-lam-{slugify(text)}" title="Xem tất cả việc làm {_a(text)}" '
                f'target="_blank" class="item-tag">{_a(text)}</a>'
            )
        else:
            tag_html.append(f'<span class="item-tag">{_a(text)}</span>')
    if rest:
        first = rest[0][1]
        truncated = first[: max(1, len(first) // 2)] + "..."
        tag_html.append(f'<span class="item-tag">{_a(truncated)}</span>')
        tooltip = ", ".join(t for _, t in rest)
        tag_html.append(
            f'<span data-toggle="tooltip" title="" class="remaining-items" data-original-title="{_a(tooltip)}">+{len(rest)}</span>'
        )
    return f"""
<div class="job-item-search-result bg-highlight job-ta" data-job-id="{job.job_id}" data-job-position="{position}" data-box="BoxSearchResult">
  <div class="avatar">
    <a target="_blank" href="{job_href}" rel="nooppener noreferrer">
      <img data-src="{logo}" class="w-100 lazy" alt="{_a(job.company)}" title="{_a(job.title)}">
    </a>
  </div>
  <div class="body">
    <div class="body-box">
      <div class="body-content">
        <div class="title-block">
          <div>
            <h3 class="title ">
              <div class="box-label-top">{badges}</div>
              <a target="_blank" href="{job_href}" rel="nooppener noreferrer">
                <span data-toggle="tooltip" data-container="body" data-placement="top" title="" data-original-title="{_a(job.title)}">{_a(_cut(job.title))}</span>
                {verified}
              </a>
            </h3>
            <a class="company{" job-pro" if job.pro else ""}" href="{company_href}" target="_blank" rel="nooppener noreferrer">
              {pro}
              <span class="company-name" data-toggle="tooltip" title="" data-placement="top" data-original-title="{_a(job.company)}">{_a(job.company)}</span>
            </a>
          </div>
          <div class="box-right">
            <label class="title-salary">
              {salary_html}
            </label>
          </div>
        </div>
      </div>
      <div class="info">
        <div class="label-content">
          <label class="address truncate" data-toggle="tooltip" data-html="true" title="" data-placement="top" data-original-title="{_a(job.location_tooltip)}">
            <span class="city-text">
              {_a(job.location_text)}
            </span>
          </label>
          <label class="exp"><span>
            {_a(job.experience)}
          </span></label>
        </div>
      </div>
    </div>
    <div class="box-icon">
      <div class="tag">{"".join(tag_html)}</div>
      <div class="icon">
        <label class="time">Còn <strong>{job.days_left}</strong> ngày để ứng tuyển</label>
        <label class="address mobile-hidden label-update" data-toggle="tooltip" title="" data-placement="top" data-original-title="Cập nhật {_a(job.updated)}">
          <span class="hidden-on-quick-view">Đăng </span>
          {_a(job.posted)}
        </label>
        <button data-job-id="{job.job_id}" class="btn btn-apply-now"><span>Ứng tuyển</span></button>
      </div>
    </div>
  </div>
</div>"""


def _cut(title: str, limit: int = 100) -> str:
    return title if len(title) <= limit else title[:limit] + "..."


def render_listing(jobs: list[DemoJob], base_url: str, page: int, total_pages: int) -> str:
    """A full listing page (header, cards, pagination, footer with a login reCAPTCHA like TopCV's)."""
    cards = "".join(render_card(job, base_url, i + 1) for i, job in enumerate(jobs))
    if not jobs:
        cards = '<div class="none-result"><p>Chưa tìm thấy việc làm phù hợp với yêu cầu của bạn</p></div>'
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>Tuyển dụng việc làm IT - Trang {page} | Demo Board</title>
<link rel="canonical" href="{base_url}/viec-lam-it">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [{{"@type": "ListItem", "position": 1, "name": "Trang chủ", "item": "{base_url}/"}}]}}</script>
</head><body>
<header class="navbar"><a href="{base_url}/">Demo Board</a></header>
<div class="job-list-search-result">{cards}
</div>
<nav class="box-pagination"><ul class="pagination">
<li><span id="job-listing-paginate-text"><span class="hight-light">{page}&nbsp;</span>/&nbsp;{total_pages} trang</span></li>
</ul></nav>
<footer><div id="auth_page" class="g-recaptcha" data-size="invisible" data-sitekey="demo-site-key"></div></footer>
<script>window.GOOGLE_RECAPTCHA_SITE_KEY = 'demo-site-key';</script>
</body></html>"""


def render_block_page() -> str:
    """What a board serves when it has had enough of you: a reCAPTCHA challenge, no cards."""
    return """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Xác minh bảo mật</title>
<script src="/recaptcha/api.js" async defer></script></head>
<body><div class="captcha-box"><h1>Bạn đã gửi quá nhiều yêu cầu</h1>
<p>Vui lòng xác minh bạn không phải là robot.</p>
<div class="g-recaptcha" data-sitekey="demo-site-key"></div></div></body></html>"""


def jobposting(job: DemoJob, base_url: str, today: date | None = None) -> dict[str, object]:
    """The schema.org ``JobPosting`` for ``job`` served on ``today`` (the board's today when None)."""
    day = today or board_today()
    posting: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": job.title,
        "url": f"{base_url}/jobs/{job.job_id}",
        "identifier": {"@type": "PropertyValue", "name": job.company, "value": job.job_id},
        "hiringOrganization": {
            "@type": "Organization",
            "name": job.company,
            "sameAs": f"{base_url}{job.company_path()}",
            "logo": f"{base_url}/static/company_logos/{job.company_slug}.png",
        },
        "jobLocation": [
            {
                "@type": "Place",
                "address": {
                    "@type": "PostalAddress",
                    "addressLocality": city,
                    "addressRegion": ", ".join(districts) or None,
                    "addressCountry": "VN",
                },
            }
            for city, districts in job.cities
        ],
        "datePosted": (day - timedelta(days=job.posted_days)).isoformat(),
        "validThrough": f"{(day + timedelta(days=job.days_left)).isoformat()}T23:59:59+07:00",
        "employmentType": "FULL_TIME",
        "description": job.description,
        "skills": list(job.tags),
        "experienceRequirements": job.experience,
    }
    s = job.salary
    if s.currency is not None:
        value: dict[str, object] = {"@type": "QuantitativeValue", "unitText": s.unit}
        if s.low is not None:
            value["minValue"] = s.low
        if s.high is not None:
            value["maxValue"] = s.high
        posting["baseSalary"] = {"@type": "MonetaryAmount", "currency": s.currency, "value": value}
    elif not s.with_icon:
        posting["baseSalary"] = s.text  # a board that only has text: a string where an object belongs
    return posting


def render_detail(job: DemoJob, base_url: str, today: date | None = None) -> str:
    """A job detail page whose only machine-readable content is its JSON-LD ``JobPosting``."""
    data = json.dumps(jobposting(job, base_url, today), ensure_ascii=False, indent=2).replace("</", "<\\/")
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{_a(job.title)}</title>
<script type="application/ld+json">
{data}
</script></head><body><h1>{_a(job.title)}</h1><div class="job-description">{job.description}</div></body></html>"""


_RANKS = ("Nhân viên", "Nhân viên", "Nhân viên", "Trưởng nhóm", "Thực tập sinh", "Trưởng/Phó phòng",
          "Quản lý / Giám sát")
_EDUCATION = ("Đại Học trở lên", "Cao Đẳng trở lên", "Không yêu cầu", "Trung cấp trở lên")
_WORK_FORMS = ("Toàn thời gian", "Toàn thời gian", "Bán thời gian", "Làm việc tại văn phòng / Onsite",
               "Kết hợp tại văn phòng và từ xa (Hybrid)")
_CATEGORIES = (("Công nghệ Thông tin", "Software Engineering"), ("Công nghệ Thông tin", "Data"),
               ("Kế toán / Kiểm toán", "Kế toán tổng hợp"), ("Kinh doanh/Bán hàng", "Sales phần mềm"))


def detail_facts(job: DemoJob, today: date | None = None) -> dict[str, object]:
    """The detail-page values of ``job`` served on ``today`` (the board's today when None);
    deterministic, for the page and for tests to compare with."""
    rng = random.Random(f"detail:{job.job_id}:{job.salary.text}")
    deadline = (today or board_today()) + timedelta(days=job.days_left)
    return {
        "job_level": rng.choice(_RANKS),
        "education": rng.choice(_EDUCATION),
        "openings": f"{rng.choice([1, 1, 2, 3, 5, 10])} người",
        "employment_type": rng.choice(_WORK_FORMS),
        "categories": list(rng.choice(_CATEGORIES)),
        "deadline": deadline.strftime("%d/%m/%Y"),
        "experience": job.experience,
        "work_locations": [
            {"city": city, "address": f"Số {10 + i}, đường Demo, {', '.join(districts) or city}"}
            for i, (city, districts) in enumerate(job.cities)
        ],
    }


def render_topcv_detail(job: DemoJob, base_url: str, today: date | None = None) -> str:
    """A detail page in TopCV's 2026 detail markup (title box, general info, sections, JSON-LD).

    Its JSON-LD carries the same posting with TopCV's quirks: ``validThrough`` a month after
    ``datePosted`` (not the visible deadline) and only the first work location.
    """
    today = today or board_today()
    facts = detail_facts(job, today)
    posted = today - timedelta(days=job.posted_days)
    ld = jobposting(job, base_url, today)
    ld["url"] = f"{base_url}{job.path()}"
    ld["validThrough"] = f"{(posted + timedelta(days=30)).isoformat()}T23:59:59+07:00"
    ld["jobLocation"] = ld["jobLocation"][:1]  # type: ignore[index]
    data = json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
    cities = ",".join(f"<a href='{base_url}/tim-viec-lam-tai-{slugify(c)}'>{_a(c)}</a>" for c, _ in job.cities)
    tooltip = "".join(f"<li>{_a(c)}: {_a(', '.join(d) or c)}</li>" for c, d in job.cities)
    places = "".join(
        f'<div style="margin-bottom: 10px">- <strong>{_a(str(w["city"]))}:</strong> {_a(str(w["address"]))}</div>'
        for w in facts["work_locations"]  # type: ignore[attr-defined]
    )
    general = "".join(
        f'<div class="box-general-group"><div class="box-general-group-info">'
        f'<div class="box-general-group-info-title">{label}</div>'
        f'<div class="box-general-group-info-value">{_a(str(facts[key]))}</div></div></div>'
        for label, key in (("Cấp bậc", "job_level"), ("Học vấn", "education"), ("Số lượng tuyển", "openings"),
                           ("Hình thức làm việc", "employment_type"))
    )
    categories = "".join(f'<a class="box-category-tag" href="{base_url}/tim-viec-lam-{slugify(c)}">{_a(c)}</a>'
                         for c in facts["categories"])  # type: ignore[attr-defined]
    tags = ", ".join(_a(t) for t in job.tags)
    salary_label = "Thu nhập" if int(job.job_id) % 3 == 0 else "Mức lương"
    return f"""<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{_a(job.title)}</title>
<link rel="canonical" href="{base_url}{job.path()}" />
</head><body><header class="navbar"><a href="{base_url}/">Demo Board</a></header>
<div class="job-detail__wrapper"><div class="job-detail__body"><div class="job-detail__body-left">
<div class="job-detail__box--left job-detail__info" id="header-job-info">
<h1 class="job-detail__info--title ">{_a(job.title)}</h1>
<div class="job-detail__info--sections">
<div class="job-detail__info--section section-salary"><div class="job-detail__info--section-content">
<div class="job-detail__info--section-content-title">{salary_label}</div>
<div class="job-detail__info--section-content-value">{_a(job.salary.text)}</div></div></div>
<div class="job-detail__info--section section-location"><div class="job-detail__info--section-content">
<div class="job-detail__info--section-content-title">Địa điểm</div>
<div class="job-detail__info--section-content-value"><span class='text-highlight' data-html='true'
 data-original-title="{_a('<ul>' + tooltip + '</ul>')}">{cities}</span></div></div></div>
<div class="job-detail__info--section section-experience"><div class="job-detail__info--section-content">
<div class="job-detail__info--section-content-title">Kinh nghiệm</div>
<div class="job-detail__info--section-content-value">{_a(job.experience)}</div></div></div>
</div>
<div class="job-detail__info--flex"><div class="job-detail__info--deadline">Hạn nộp hồ sơ:
<div class="job-detail__info--deadline-date">{facts["deadline"]}</div>
<span class="job-detail__info--deadline-convert"><span class="deadline">(Còn <strong>{job.days_left}</strong> ngày)</span></span>
</div></div></div>
<div class="job-detail__information-detail--content"><div class="job-description">
<div class="job-description__item"><h3> Mô tả công việc </h3><div class="job-description__item--content">
<p>- Phát triển và vận hành hệ thống cho {_a(job.company)}.</p><p>- Làm việc với {tags}.</p></div></div>
<div class="job-description__item job-detail-section requirement"><h3> Yêu cầu ứng viên </h3>
<div class="job-description__item--content"><p>• Kinh nghiệm: {_a(job.experience)}.</p><p>• Thành thạo {tags}.</p></div></div>
<div class="job-description__item job-detail-section benefit"><h3> Quyền lợi </h3>
<div class="job-description__item--content"><p>+ Tháng lương thứ 13.</p><p>+ Bảo hiểm đầy đủ.</p></div></div>
<div class="job-description__item"><h3> Địa điểm làm việc </h3><div class="job-description__item--content">{places}</div></div>
</div></div>
<div class="job-detail__information-detail--actions-label">Hạn nộp hồ sơ: {facts["deadline"]}</div>
</div>
<div class="job-detail__body-right">
<div class="job-detail__box--right job-detail__company"><div class="job-detail__company--information">
<div class="job-detail__company--information-item company-name">
<a class="company-logo" href="{base_url}{job.company_path()}"><img src="{base_url}/static/company_logos/{job.company_slug}.png" alt="{_a(job.company)}"></a>
<div class="company-name-label"><a class="name" href="{base_url}{job.company_path()}">{_a(job.company)}</a></div></div>
</div></div>
<div class="job-detail__box--right job-detail__body-right--box-general"><div class="box-title">Thông tin chung</div>
<div class="box-general-content">{general}</div></div>
<div class="job-detail__box--right job-detail__body-right--box-category"><div class="box-category">
<div class="box-title">Danh mục Nghề liên quan</div><div class="box-category-tags">{categories}</div></div>
<div class="box-category box-category-city"><div class="box-title">Tìm việc theo địa giới trước sáp nhập</div></div>
</div></div></div></div>
<script type="application/ld+json">{data}</script>
<footer><div class="g-recaptcha" data-size="invisible" data-sitekey="demo-site-key"></div></footer>
</body></html>"""


def render_sitemap_index(sitemap_urls: list[str]) -> str:
    items = "".join(f"<sitemap><loc>{_a(u)}</loc></sitemap>" for u in sitemap_urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'


def render_urlset(urls: list[str]) -> str:
    items = "".join(f"<url><loc>{_a(u)}</loc><changefreq>daily</changefreq></url>" for u in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</urlset>'
