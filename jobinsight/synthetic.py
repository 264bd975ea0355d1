"""Synthetic raw_jobs rows whose value shapes follow the real TopCV data.

Used by the benchmark and the scale tests. Rows are generated inside PostgreSQL with
``generate_series`` (a million rows in seconds, no Python memory), picking values from lists
of real shapes: salary strings in the mix seen on TopCV (``N - N triệu``, ``Thoả thuận``,
``Tới N USD``, hourly ``k /giờ`` …), single and multi-city locations with tooltip detail,
decorated titles, ALL-CAPS company names, skills arrays and deadlines as day counts and dates;
70% of them with detail-page columns (rank, experience, education, openings, work form,
category, requirements and description), like a crawl that follows cards to their details.
"""

from __future__ import annotations

import json

from jobinsight.db.connect import session

TITLES = [
    "Kế Toán Tổng Hợp", "Kế Toán Thuế - Làm Việc Tại Gò Vấp, HCM", "Nhân Viên Kinh Doanh Phần Mềm",
    "Backend Developer (Java, Spring Boot)", "Senior .NET Developer - Thu Nhập Upto 40 Triệu",
    "Frontend Developer ReactJS | Lương 30 Triệu", "Lập Trình Viên C++ [HN]", "Tester / QA Engineer Gấp",
    "DevOps Engineer (AWS, Kubernetes)", "Data Engineer - Tại Hà Nội", "Thực Tập Sinh Marketing",
    "Trưởng Nhóm Kinh Doanh Hot", "Chuyên Viên Tuyển Dụng", "Mobile Developer (Flutter/React Native)",
    "Node.js Developer", "C# Developer - Remote", "Nhân Viên Hành Chính Nhân Sự", "Kỹ Sư Phần Mềm Nhúng",
    "Business Analyst (Tiếng Nhật N2)", "Giám Đốc Kinh Doanh Khu Vực", "Chuyên Viên Phân Tích Dữ Liệu",
    "Fullstack Developer (PHP, Laravel, VueJS)", "AI Engineer - Computer Vision", "IT Helpdesk",
    "Nhân Viên Chăm Sóc Khách Hàng", "Thiết Kế Đồ Họa", "Kế Toán Công Nợ - Thu Nhập 12 - 15 Triệu",
    "Golang Developer", "Product Owner", "Security Engineer", "Game Developer (Unity)",
]
COMPANIES = [
    "CÔNG TY CỔ PHẦN TẬP ĐOÀN THÉP POSHACO", "Công ty TNHH Phần Mềm FPT", "CÔNG TY TNHH MTV DỊCH VỤ VNG",
    "Ngân hàng TMCP Hàng Hải Việt Nam (MSB)", "Công ty Cổ phần ĐT TM DV & DL ĐẤT VIỆT", "CÔNG TY CP HOTEL GẤP PHÁT",
    "Viettel Software", "CÔNG TY TNHH CÔNG NGHỆ PHẦN MỀM DUDI", "Tập đoàn Công nghệ CMC", "NashTech Vietnam",
]
SALARIES = (
    ["10 - 15 triệu"] * 14 + ["7.5 - 10 triệu"] * 3 + ["Thoả thuận"] * 10 + ["Thỏa thuận"] * 2
    + ["Từ 12 triệu", "Tới 25 triệu", "Tới 20 triệu", "1,000 - 2,500 USD", "Tới 3,000 USD",
       "25 k - 30 k /giờ", "Từ 800 USD", "Tới 5 k /sp", "Thương lượng", "Cạnh tranh", "20tr-30tr ₫/tháng",
       "$ 1,000-2,000 /tháng", "Trên 30 triệu", "300 - 400 triệu /năm", "Up to 2000 USD", "15 triệu", None]
)
LOCATIONS = [
    ("Hà Nội", "<p style='text-align: left;margin-bottom: 0'>Hà Nội: Cầu Giấy, Đống Đa</p>"),
    ("Hồ Chí Minh", "<p style='text-align: left;margin-bottom: 0'>Hồ Chí Minh: Gò Vấp</p>"),
    ("Hà Nội, Hồ Chí Minh", "<p>Hà Nội: Cầu Giấy</p><p>Hồ Chí Minh: Quận 1</p>"),
    ("Hà Nội & 2 nơi khác", "<p>Hà Nội: Ba Đình</p><p>Đà Nẵng: Hải Châu</p><p>Hồ Chí Minh: Quận 3</p>"),
    ("Hồ Chí Minh (mới)", None),
    ("Đà Nẵng", "<p>Đà Nẵng: Sơn Trà</p>"),
    ("TP.HCM", None),
    ("Bắc Ninh", None),
    ("Hải Phòng", "<p>Hải Phòng: Lê Chân</p>"),
    (None, None),
]
SKILLS = [
    ["Java", "Spring Boot", "SQL"], ["ReactJS", "TypeScript"], ["Kế toán thuế", "Excel"], ["Golang", "Docker"],
    ["NodeJS", "MongoDB", "AWS"], ["C/C++", "Lập Trình Nhúng"], ["Python", "Pandas", "Spark"], [], ["Tin học văn phòng"],
    ["Flutter", "Dart"], ["Kỹ năng giao tiếp", "Làm việc nhóm"], None,
]
DEADLINES = ["12", "30", "Còn 21 ngày", "31/12/2026", "15/01/2027", "2026-12-31", "Hạn nộp hồ sơ: 30/06/2027 (Còn 71 ngày)",
             "31/02/2026", "không rõ", None]

LEVELS = ["Nhân viên"] * 6 + ["Trưởng nhóm", "Thực tập sinh", "Trưởng/Phó phòng", "Quản lý / Giám sát", None]
EXPERIENCES = ["Không yêu cầu", "Dưới 1 năm", "1 năm", "2 năm", "3 năm", "1 - 3 năm", "Trên 5 năm", None]
EDUCATIONS = ["Đại Học trở lên", "Cao Đẳng trở lên", "Không yêu cầu", "Trung cấp trở lên", None]
OPENINGS = ["1 người", "2 người", "3 người", "5 người", "10 người", None]
WORK_FORMS = ["Toàn thời gian", "Toàn thời gian", "Làm việc tại văn phòng / Onsite",
              "Kết hợp tại văn phòng và từ xa (Hybrid)", "Bán thời gian", None]
CATEGORIES = ["Công nghệ Thông tin, Software Engineering, Backend Developer", "Kế toán / Kiểm toán, Kế toán tổng hợp",
              "Kinh doanh/Bán hàng, Sales phần mềm", "Công nghệ Thông tin, Data, Data Engineer", None]
REQUIREMENTS = [
    "• Tốt nghiệp Đại học chuyên ngành CNTT.\n• Thành thạo Java, Spring Boot, SQL.\n• Tiếng Anh đọc hiểu tài liệu.",
    "- Có kinh nghiệm kế toán tổng hợp, sử dụng MISA, Excel.\n- Cẩn thận, trung thực.",
    "• Kinh nghiệm ReactJS, TypeScript, REST API.\n• Làm việc từ xa (Remote) được.",
    "- Kỹ năng giao tiếp tốt, ưu tiên biết tiếng Nhật N2.",
    None,
]
DESCRIPTIONS = [
    "- Phát triển và bảo trì hệ thống backend.\n- Tham gia review code, viết unit test.",
    "- Lập báo cáo thuế, báo cáo tài chính hàng tháng.",
    "- Tư vấn, bán giải pháp phần mềm cho khách hàng doanh nghiệp.",
    None,
]

_INSERT = """
WITH lists AS (
    SELECT %(titles)s::text[] AS titles, %(companies)s::text[] AS companies, %(salaries)s::text[] AS salaries,
           %(locs)s::text[] AS locs, %(details)s::text[] AS details, %(skills)s::jsonb AS skills,
           %(deadlines)s::text[] AS deadlines, %(levels)s::text[] AS levels, %(exps)s::text[] AS exps,
           %(edus)s::text[] AS edus, %(openings)s::text[] AS openings, %(forms)s::text[] AS forms,
           %(cats)s::text[] AS cats, %(reqs)s::text[] AS reqs, %(descs)s::text[] AS descs
), gen AS (
    SELECT g,
           hashint8(g + %(seed)s) AS h1,
           hashint8(g * 7919 + %(seed)s) AS h2
      FROM generate_series(%(start)s::bigint, %(start)s::bigint + %(n)s - 1) g
)
INSERT INTO public.raw_jobs (source, job_id, title, job_url, company_name, company_url, salary, skills,
    location, location_detail, deadline, verified_employer, last_update, logo_url, posted_time, crawled_at,
    scrape_date, first_seen_at, last_seen_at, payload, content_hash,
    description, requirements, job_level, experience, education, openings, employment_type, job_category,
    detail_scraped_at)
SELECT 'topcv', v.job_id, v.title, v.job_url, v.company_name, v.company_url, v.salary, v.skills, v.location,
       v.location_detail, v.deadline, v.verified, 'Cập nhật 2 giờ trước', v.logo_url, now() - interval '2 hours',
       now(), now(), now(), now(), v.payload,
       public.jobinsight_content_hash(v.title, v.job_url, v.company_name, v.company_url, v.salary, v.skills,
           v.location, v.location_detail, v.deadline, v.verified, v.logo_url, v.payload,
           jsonb_build_object('description', d.description, 'requirements', d.requirements,
               'job_level', d.job_level, 'experience', d.experience, 'education', d.education,
               'openings', d.openings, 'employment_type', d.employment_type, 'job_category', d.job_category)),
       d.description, d.requirements, d.job_level, d.experience, d.education, d.openings, d.employment_type,
       d.job_category, CASE WHEN d.has_detail THEN now() END
FROM gen, lists,
LATERAL (SELECT
    g::text AS job_id,
    lists.titles[1 + abs(h1) %% cardinality(lists.titles)]
        || CASE WHEN abs(h2) %% 4 = 0 THEN ' ' || (abs(h2) %% 500)::text ELSE '' END AS title,
    'https://www.topcv.vn/viec-lam/job/' || g || '.html' AS job_url,
    lists.companies[1 + abs(h2) %% cardinality(lists.companies)]
        || CASE WHEN abs(h1) %% 3 = 0 THEN ' ' || (abs(h1) %% 2000)::text ELSE '' END AS company_name,
    'https://www.topcv.vn/cong-ty/c/' || (abs(h2) %% 2000) || '.html' AS company_url,
    lists.salaries[1 + abs(h1 / 7) %% cardinality(lists.salaries)] AS salary,
    lists.skills -> (abs(h2 / 3) %% jsonb_array_length(lists.skills))::int AS skills,
    lists.locs[1 + abs(h1 / 11) %% cardinality(lists.locs)] AS location,
    lists.details[1 + abs(h1 / 11) %% cardinality(lists.locs)] AS location_detail,
    lists.deadlines[1 + abs(h2 / 13) %% cardinality(lists.deadlines)] AS deadline,
    (abs(h1) %% 2 = 0) AS verified,
    'https://cdn-new.topcv.vn/unsafe/150x/logo/' || (abs(h2) %% 2000) || '.png' AS logo_url,
    jsonb_build_object('experience', (abs(h2) %% 5) || ' năm', 'tags', jsonb_build_array('Kế toán thuế'),
                       'parser', 'synthetic') AS payload
) v,
LATERAL (SELECT has_detail,
    CASE WHEN has_detail THEN lists.descs[1 + abs(h1 / 17) %% cardinality(lists.descs)] END AS description,
    CASE WHEN has_detail THEN lists.reqs[1 + abs(h2 / 19) %% cardinality(lists.reqs)] END AS requirements,
    CASE WHEN has_detail THEN lists.levels[1 + abs(h1 / 23) %% cardinality(lists.levels)] END AS job_level,
    CASE WHEN has_detail THEN lists.exps[1 + abs(h2 / 29) %% cardinality(lists.exps)] END AS experience,
    CASE WHEN has_detail THEN lists.edus[1 + abs(h1 / 31) %% cardinality(lists.edus)] END AS education,
    CASE WHEN has_detail THEN lists.openings[1 + abs(h2 / 37) %% cardinality(lists.openings)] END AS openings,
    CASE WHEN has_detail THEN lists.forms[1 + abs(h1 / 41) %% cardinality(lists.forms)] END AS employment_type,
    CASE WHEN has_detail THEN lists.cats[1 + abs(h2 / 43) %% cardinality(lists.cats)] END AS job_category
    FROM (SELECT abs(h1 / 47) %% 10 < 7 AS has_detail) x  -- 70%% of postings have their detail page read
) d
ON CONFLICT (source, job_id) DO NOTHING
"""


def generate_raw_rows(url: str, n: int, *, start: int = 1, seed: int = 42) -> int:
    """Insert ``n`` synthetic TopCV rows with job ids ``start..start+n-1``; returns rows inserted."""
    params = {
        "titles": TITLES, "companies": COMPANIES, "salaries": SALARIES,
        "locs": [loc for loc, _ in LOCATIONS], "details": [detail for _, detail in LOCATIONS],
        "skills": json.dumps(SKILLS, ensure_ascii=False), "deadlines": DEADLINES,
        "levels": LEVELS, "exps": EXPERIENCES, "edus": EDUCATIONS, "openings": OPENINGS, "forms": WORK_FORMS,
        "cats": CATEGORIES, "reqs": REQUIREMENTS, "descs": DESCRIPTIONS,
        "seed": seed, "start": start, "n": n,
    }
    with session(url, application_name="jobinsight-synthetic") as conn:
        with conn, conn.cursor() as cur:
            cur.execute(_INSERT, params)
            inserted = cur.rowcount
        conn.autocommit = True  # ANALYZE after the commit, so the planner sees the new rows at once
        with conn.cursor() as cur:
            cur.execute("ANALYZE public.raw_jobs")
    return inserted
