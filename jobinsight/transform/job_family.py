"""Job family (backend, accounting, sales, ...) from title, skills, board category and text.

Why: "what kind of job is this" is the first cut analysts make, and titles mix Vietnamese and
English role nouns ("Lập Trình Viên .NET", "Kế Toán Thuế", "UA Marketing Game"). Evidence is
used from strongest to weakest, stopping at the first that decides:

1. a specific role phrase in the title - the earliest one wins ("Kế Toán Trưởng (Mảng ... IT)"
   is accounting, "Nhân Viên Kinh Doanh Phần Mềm" is sales);
2. a generic developer/engineer noun in the title - the family the title's and skills' tech
   points to (React -> frontend, Flutter -> mobile, both web sides -> fullstack), else backend
   for software developers and engineering for other engineers;
3. a weak domain word in the title ("Game", "App", "IT", "Dự án");
4. the majority family of the normalised skills (taxonomy ``family`` hints);
5. the board's category ("Kế toán / Kiểm toán" -> accounting; "IT - Phần mềm" is an industry,
   not a function, so it decides nothing);
6. the most frequent specific role phrase in requirements/description;
else ``other``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from jobinsight.transform.rules import Hit, MultiRules, PhraseRules, first_label
from jobinsight.transform.skills import skill_info
from jobinsight.transform.text import fold

__all__ = [
    "JOB_FAMILIES", "TITLE_RULES", "decide_family", "family_parts_from_hits", "detect_job_family", "family_from_category", "family_from_title",
    "skill_families", "text_family_counts",
]

JOB_FAMILIES = (
    "backend", "frontend", "fullstack", "mobile", "data", "ai_ml", "devops", "qa", "security", "embedded",
    "game", "it_support", "erp", "ba_pm", "design", "accounting", "finance", "sales", "marketing", "hr",
    "admin", "customer_service", "engineering", "construction", "manufacturing", "education", "healthcare",
    "logistics", "legal", "hospitality", "translation", "security_guard", "agriculture", "management", "other",
)

_TECHS = (r"java", r"php", r"\.net", r"dotnet", r"python", r"golang", r"go", r"node\.?js", r"c#", r"c\+\+", r"ruby",
          r"rails", r"django", r"laravel", r"spring", r"cobol", r"scala", r"rust")
_TECH = "(?:" + "|".join(_TECHS) + ")"
_DEV = r"(?:developer|dev|engineer|programmer|lead|leader|backend)"
# Spelled out per technology so every phrase starts with literal text (see rules.PhraseRules).
_TECH_DEV = [rf"{t}\s+{_DEV}" for t in _TECHS]
_WEB_DEV = [rf"{t}\s+(?:developer|dev|engineer)" for t in ("react(?:js)?", "vue(?:js)?", "angular", r"next\.?js")]

_SPECIFIC = PhraseRules(
    namespace="family",
    rules=[
        ("fullstack", ["full[- ]?stack", "fullstack"]),
        ("backend", [r"kiến trúc\s+(?:phần mềm|hệ thống phần mềm|giải pháp)", "back[- ]?end", "backend", *_TECH_DEV, rf"lập trình viên\s+{_TECH}",
                     rf"lập trình\s+{_TECH}", "api developer", "integration developer", "server[- ]side",
                     "solutions? architect", "software architect", r"kiến trúc sư\s+(?:giải pháp|phần mềm|hệ thống)",
                     "lập trình viên phần mềm", "code backend", r"thiết kế hệ thống\s+(?:phần mềm|thông tin)"]),
        ("frontend", ["front[- ]?end", "frontend", *_WEB_DEV,
                      "giao diện web", "ui developer", "web developer", "lập trình web"]),
        ("mobile", [r"mobile\s+(?:app\s+)?(?:developer|dev|engineer)", "android", "ios", "flutter", "react native",
                    r"lập trình\s+(?:mobile|di động|app|ứng dụng di động)", r"app\s+developer", "submit app",
                    "swift developer", "kotlin developer"]),
        ("data", ["báo cáo thống kê", "thống kê", "reporting", r"data\s+(?:analyst|analytics|engineer|engineering|scientist|science|warehouse|architect|governance|modeler|platform)",
                  "phân tích dữ liệu", "kỹ sư dữ liệu", "dữ liệu", "big data", "business intelligence",
                  r"bi\s+(?:developer|analyst|engineer)", "power bi", "etl", "dba", r"database\s+(?:admin|administrator|engineer)",
                  "quản trị cơ sở dữ liệu", "data"]),
        ("ai_ml", [r"ai\s+(?:engineer|developer|researcher|specialist|scientist|architect|trainer)", "machine learning",
                   r"ml\s+engineer", "mlops", "deep learning", "computer vision", "nlp", "llm", "gen ?ai", "generative ai",
                   "trí tuệ nhân tạo", r"lập trình(?:\s+viên)?\s+ai", r"kỹ sư\s+ai", r"chuyên viên\s+ai", "ai/ml", "ml/ai",
                   "prompt engineer"]),
        ("devops", ["devops", "dev ops", "sre", "site reliability", r"cloud\s+(?:engineer|architect|solutions?|migration|ops)",
                    "kubernetes", "platform engineer", "ci/cd", "release engineer", "hạ tầng cloud"]),
        ("qa", ["hóa nghiệm", "hoá nghiệm", "cơ lý", "kiểm hàng", "qaqc", "hygiene", "truy xuất nguồn gốc", "quản lý chất lượng", "chất lượng", "kcs", "iqc", "ipqc", "oqc", "fqc", "iso", "qa-qc", "phòng lab", "lab",
                "thí nghiệm", "kiểm nghiệm", "quality", "tester", "test", "testing", "kiểm thử", "qa", "qc", "quality assurance", "quality control",
                "kiểm soát chất lượng", "kiểm tra chất lượng", "đảm bảo chất lượng", "sdet", "automation test",
                "qa/qc"]),
        ("security", ["security", "bảo mật", "an ninh mạng", "an toàn thông tin", "an ninh thông tin", "pentest",
                      "pentester", "penetration", "kiểm thử xâm nhập", "soc analyst", "cyber", "vulnerability",
                      "devsecops", "attt"]),
        ("embedded", ["embedded", "nhúng", "firmware", "autosar", "fpga", "vi mạch", "iot", "phần cứng", "hardware",
                      "vi điều khiển", "pcb", "esp32", "arduino", "isoc", "điện tử", "bán dẫn", "semiconductor"]),
        ("game", [r"game\s+(?:\w+\s+)?(?:designer|design|developer|artist|producer|tester|master|operator|operation|operations)",
                  "lập trình game", "unity", "unreal", "cocos", "vận hành game", "thiết kế game", "kịch bản game",
                  "level designer", "live-?ops", "game community", "game publishing"]),
        ("it_support", [r"vận hành\s+(?:nền tảng|ứng dụng|hạ tầng)", "vận hành khai thác", "it support", "it helpdesk", "helpdesk", "help desk", "hỗ trợ kỹ thuật", "hỗ trợ it",
                        r"kỹ thuật viên\s+(?:it|máy tính|tin học|công nghệ thông tin)", "nhân viên it", "it system",
                        "it admin", "it infrastructure", "system admin", "system administrator", "sysadmin",
                        "quản trị hệ thống", "quản trị mạng", r"network\s+(?:engineer|admin|administrator)",
                        r"kỹ sư\s+(?:hệ thống|mạng|hạ tầng)", r"hạ tầng\s+(?:it|công nghệ thông tin|mạng|cntt)",
                        "vận hành hệ thống",
                        "triển khai hệ thống", "xử lý sự cố", "tin học", "cntt",
                        r"it\s+(?:manager|officer|staff|executive|engineer|specialist|technician)",
                        "application admin", "technical support", "technical service", "infrastructure", "network",
                        "hệ thống mạng", "quản trị, vận hành hệ thống", "tích hợp hệ thống", "system engineer",
                        "thiết kế hệ thống mạng"]),
        ("erp", ["erp", "sap", "odoo", "oracle ebs", "dynamics 365", "microsoft dynamics", "mes", "fico", "abap",
                 "functional consultant", "netsuite", "salesforce (?:developer|admin|consultant)", "crm consultant"]),
        ("ba_pm", ["business analyst", "phân tích nghiệp vụ", "phân tích hệ thống", "project manager",
                   "quản lý dự án", "quản trị dự án", "project coordinator", "product owner", "product manager",
                   "scrum master", "pmo", "delivery manager", "brse", r"bridge\s+(?:software\s+)?(?:engineer|se)",
                   "triển khai phần mềm", "tư vấn triển khai", "implementation", "trợ lý dự án", "điều phối dự án",
                   "quản lý sản phẩm", "phân tích yêu cầu", "system analyst", "it project", "điều phối viên dự án"]),
        ("design", ["edit", "content editor", "thiết kế thời trang", "thiết kế trang sức", "technical designer", "kiến trúc", "designer", "thiết kế", "design", "đồ họa", "graphic", "ui/ux", "ux/ui", "ui ux", "ux", "ui",
                    "video editor", "editor", "dựng phim", "quay dựng", "biên tập video", "edit video", "dựng video",
                    "animator", "animation", "artist", "họa sĩ", "2d", "3d", "vfx", "motion", "photographer",
                    "nhiếp ảnh", "kiến trúc sư", "architect", "nội thất", "interior", "diễn họa", "phối cảnh",
                    "retoucher", "illustrator", "concept art", "quay phim", "chỉnh sửa ảnh", "generalist",
                    r"game\s+(?:\w+\s+)?designer"]),
        ("accounting", ["đối soát", "công nợ", "giá thành", "tính giá thành", "kê toán", "tc-kt", "thanh quyết toán",
                        "quyết toán", "ar/ap", "ap/ar", "kế toán", "kiểm toán", "accountant", "accounting", "auditor", "audit", "thuế", "tax",
                        "bookkeeper", "kiểm soát nội bộ", "internal control"]),
        ("finance", ["kiểm soát viên", "khách hàng ưu tiên", "nguồn vốn", "balance sheet", "quản trị rủi ro", "rủi ro",
                     "gian lận", "fraud", "tín chấp", "thanh toán", "giải pháp thanh toán", "môi giới", "trader",
                     "phái sinh", "bảo lãnh", "pricing", "fin ops", "finops", "ngân sách", "khách hàng cá nhân", "khách hàng doanh nghiệp", "khcn", "khdn", "quan hệ khách hàng",
                     "relationship manager", "relationship officer", "cho vay", "tín dụng", "xử lý nợ", "thu hồi nợ",
                     "đòi nợ", "thu nợ", "debt collection", "collection", "định giá", "thẩm định giá", "bancassurance",
                     "sản phẩm thẻ", "thẻ tín dụng", "ủy thác", "quản lý tài sản", "wealth", "kế hoạch tài chính",
                     "tư vấn tài chính", "đại lý bảo hiểm", "tư vấn bảo hiểm", "ngân quỹ", "kho quỹ", "thanh toán quốc tế",
                     "trade finance", "fp&a", "tài chính", "finance", "financial", "ngân hàng", "banking", "banker", "tín dụng", "credit",
                     "chứng khoán", "securities", "đầu tư", "investment", "bảo hiểm", "insurance", "giao dịch viên",
                     "thẩm định", "quản lý rủi ro", "risk", "treasury", "fp&a", "môi giới chứng khoán", "broker",
                     "actuary", "quan hệ khách hàng cá nhân", "quan hệ khách hàng doanh nghiệp", "hồ sơ tín dụng"]),
        ("sales", ["leasing", "cho thuê", "phát triển mặt bằng", "tìm kiếm mặt bằng", "site finder", "trưng bày", "bày biện",
                   "visual merchandise", "visual merchandiser", "channel development", "bán buôn", "năng lực bán",
                   "hiệu suất bán", "retail", "bán lẻ", "otc", "tuyển sinh", "admissions", "trưởng khu vực", "cửa hàng", "quản lý cửa hàng", "store manager", "shop manager", "siêu thị", "showroom", "điểm bán",
                   "đại lý", "phát triển đại lý", "thương mại điện tử", "tmđt", "e-commerce", "ecommerce",
                   "quản lý khu vực", "quản lí khu vực", "quản lí cửa hàng", "area manager", "tư vấn giáo dục", "tư vấn du học", "du học", "bán vé",
                   "vé máy bay", "chăm sóc điểm bán", "sales engineer", "solution consultant", "tư vấn bảo hành", "kinh doanh", "sales?", "bán hàng", "telesales?", "tư vấn viên", "tư vấn bán hàng",
                   "tư vấn khách hàng", "tư vấn tuyển sinh", "tư vấn giải pháp", r"account\s+(?:manager|executive)",
                   "business development", r"phát triển\s+(?:kinh doanh|thị trường|khách hàng|kd|đối tác)",
                   "presales?", "pre-sales", "khai thác khách hàng", "đại diện thương mại", "cửa hàng trưởng",
                   "partnership", "bất động sản", "bđs", "thu ngân", "chốt đơn",
                   "cross selling", "key account", "trình dược viên", "merchandiser", "tư vấn phần mềm"]),
        ("marketing", ["activation", "affiliate", "marcom", "đối ngoại", "quan hệ đối ngoại", "social commerce", "market research", "nghiên cứu thị trường", "marketing", "truyền thông", "quảng cáo", "content", "seo", "sem", "social media", "brand",
                       "branding", "thương hiệu", "public relations", "ads", "user acquisition", "monetization", "aso",
                       "livestream", "streamer", "kol", "koc", "copywriter", "digital", "media", "sự kiện", "event",
                       "growth", "community", "biên tập viên", "sáng tạo nội dung", "creative", "tiktok", "facebook",
                       "host", "mc", "idol", "nhà sáng tạo", "planner", "ua", "performance"]),
        ("hr", ["learning & development", "learning and development", "organizational development", "total rewards",
                "tiền lương", "chế độ phúc lợi", "thu hút nhân tài", "workforce planning", "phát triển nguồn lực",
                "văn hóa doanh nghiệp", "hcns", "hr-admin", "training & development", "training and development", "employer branding", "quan hệ lao động",
                "chính sách nhân sự", "talent", "c&b", "hrm", "hành chính - nhân sự", "nhân sự", "tuyển dụng", "recruiter", "recruitment", "hr", "human resources?", "c&b",
                "talent acquisition", "headhunter", "headhunt", "hrbp", "đào tạo nội bộ", "hành chính nhân sự",
                "l&d", "tính lương", "payroll"]),
        ("admin", ["tổng vụ", "general affairs", "document controller", "document control", "quản lý hồ sơ", "kiểm duyệt nội dung", "kiểm duyệt", "content moderator", "content moderation", "moderator",
                   "văn phòng hội đồng quản trị", "thư ký hội đồng", "tạp vụ", "vệ sinh", "cleaner", "housekeeper",
                   "giúp việc", "hành chính", "văn phòng", "thư ký", "lễ tân", "receptionist", "văn thư", "nhập liệu",
                   "data entry", r"office\s+(?:manager|staff|admin|assistant)", "admin", "trợ lý giám đốc",
                   "trợ lý tổng giám đốc", "trợ lý ban giám đốc", "trợ lý ceo", "secretary", "personal assistant"]),
        ("customer_service", ["giải đáp thông tin", "giải đáp", r"customer\s+services?", "khách hàng bí mật", "mystery shopper", "trực tổng đài", "chất lượng dịch vụ", "chất lượng cuộc gọi", "khiếu nại", "trải nghiệm khách hàng",
                              "cx", "dịch vụ khách hàng", "chăm sóc khách hàng", "cskh", r"customer\s+(?:service|support|care|success|experience)",
                              "call center", "callcenter", "tổng đài", "tổng đài viên", "hỗ trợ khách hàng",
                              "dịch vụ khách hàng", "gia hạn", "hậu mãi", "after[- ]sales?", r"support\s+(?:agent|specialist)",
                              "trực page", "trực fanpage", "chăm sóc học viên", "chăm sóc khách"]),
        ("engineering", ["phát triển sản phẩm", "product development", "nhiệt", "hóa học", "hoá học", "chuyên viên hóa",
                         "chuyên viên hoá", "phòng cháy", "phòng cháy và chữa cháy", "chữa cháy", "hsse", "giám sát thiết bị",
                         "tân trang", "bảo hành", "sửa chữa thiết bị", "kỹ sư thiết kế", "design engineer", "service engineer", "field service", "materials engineer", "kỹ thuật nước", "vận hành thiết bị",
                         "technical manager", "điện công trình", "electrician", "thợ điện", "thợ hàn", "welder",
                         "bảo trì điện", "sửa chữa", "kỹ thuật viên điện", "lắp ráp điện", "an toàn môi trường",
                         "sức khỏe - môi trường", "bảo vệ môi trường", "nghiên cứu", "research", "scientist", "lab technician",
                         "kỹ thuật viên", "kỹ sư điện", r"điện\s+(?:công nghiệp|tự động|dân dụng|lạnh|nhẹ|nước|năng lượng)",
                         r"thiết kế\s+(?:hệ thống\s+)?điện", "cơ điện", "m&e", "mep", "hvac", "cơ khí", "mechanical",
                         "electrical", "tự động hóa", "automation engineer", "plc", "scada", "bảo trì", "bảo dưỡng",
                         "maintenance", "kỹ thuật điện", "viễn thông", "telecom", "môi trường", "xử lý nước",
                         "hóa chất", "chemical", "năng lượng", "solar", "điện mặt trời", "r&d", "nghiên cứu và phát triển",
                         "elv", "pccc", "an toàn lao động", "hse", "ehs", "điện", "kỹ sư cơ", "thiết kế cơ khí",
                         "kỹ thuật ô tô", "ô tô", "automotive", "điều hòa", "thang máy", "wifi", "rf engineer",
                         "thiết kế hệ thống", "cấp thoát nước", "audit ehs",
                         # longer phrases win over the IT ones at the same place
                         r"vận hành hệ thống\s+(?:xử lý|điện|nước|máy|lạnh|pccc|hvac)",
                         r"triển khai hệ thống\s+(?:điện|nước|pccc|camera)"]),
        ("construction", ["trắc đạc", "bốc tách", "nội nghiệp", "dự thầu", "mời thầu", "kế hoạch tiến độ", "hồ sơ thầu", "hồ sơ dự thầu", "hiện trường", "kỹ thuật hiện trường", "site engineer",
                          "chỉ huy trưởng", "chỉ huy phó", "shopdrawing", "kinh tế xây dựng", "nội thất thi công",
                          "công trường", "kiểm soát dự án", "project control", "xây dựng", "construction", "kết cấu", "structural", "thi công", r"giám sát\s+(?:thi công|công trình)",
                          "công trình", "dự toán", "qs", "quantity survey(?:or)?", "shop ?drawing", "cầu đường",
                          r"hạ tầng\s+(?:giao thông|kỹ thuật)", "địa chất", "trắc địa", "bim", "civil", "đấu thầu",
                          "quy hoạch", r"quản lý dự án\s+xây dựng", "khai triển", "bóc tách",
                          r"giám sát\s+(?:mep|m&e|điện|nước|kết cấu|hạ tầng|xây dựng|hiện trường|dự án|cơ điện|pccc|nội thất|an toàn|kỹ thuật)"]),
        ("manufacturing", ["cutting", "chế bản", "gerber", "line leader", "tooling", "cơ giới", "cân nguyên liệu",
                           "sinh quản", "kế hoạch sản xuất", "production planning", "manufacturing", "kiểm soát sản xuất", "smt", "industrial engineering", "industrial engineer", "xưởng vụ", "giác sơ đồ", "in ấn",
                           "máy in", "nhà máy", "plant", "thống kê sản xuất", "production", "lắp ráp", "assembly",
                           "kỹ thuật may", "rập", "merchandising", "vận hành nấu", "chế biến", "cải tiến", "sản xuất", "production", "công nhân", "operator", "vận hành máy", "cnc", "cam",
                           r"lập trình\s+(?:cnc|cam|máy)", "gia công", "khuôn", "mold", "may mặc", "dệt", "chuyền",
                           "xưởng", "factory", "quản đốc", "đóng gói", r"kỹ sư\s+(?:quy trình|công nghệ|sản xuất)",
                           "process engineer", "industrial engineer", "cơ khí chính xác", "vận hành máy móc",
                           "thực phẩm", "food technology"]),
        ("education", ["giám thị", "học liệu", "chương trình stem", "stem", "student affairs", "bán trú", "hiệu trưởng",
                       "trường liên cấp", "học đường", "phụ huynh", "chủ nhiệm lớp", "trợ giảng", "trung tâm toán", "lớp học", "học sinh", "giáo vụ", "giáo viên", "giảng viên", "teacher", "trợ giảng", "teaching assistant", "gia sư", "tutor",
                       "đào tạo", "trainer", "training", "huấn luyện", "giáo dục", "academic", "mentor", "coach",
                       "học thuật", "học vụ", "cố vấn học tập", "giảng dạy", "hướng dẫn sử dụng"]),
        ("healthcare", ["tiêm chủng", "healthcare", "clinic", "viện phí", "kỹ thuật viên xét nghiệm", "kỹ thuật viên y", "hộ sinh", "chăm sóc sức khỏe", "nhà thuốc",
                        "thiết bị y tế", "phòng khám", "bác sĩ", "bác sỹ", "doctor", "y tá", "điều dưỡng", "nurse", "dược sĩ", "dược", "pharmacist",
                        "pharma", "y tế", "medical", "nha khoa", "dental", "xét nghiệm", "hộ lý", "sức khỏe",
                        "spa", "thẩm mỹ", "vật lý trị liệu", "dinh dưỡng", "chăm sóc sắc đẹp"]),
        ("logistics", ["shipping", "im/ex", "import-export", "import–export", "c/o", "overseas agent", "indirect material",
                       "nhân viên khai thác", "khai thác hàng", "nguồn nguyên liệu", "cung ứng", "vật tư", "điều vận", "điều độ", "dispatch", "dispatcher", "freight", "ocean freight",
                       "air freight", "sea freight", "demand planning", "demand planner", "demand analyst",
                       "stock keeper", "stock controller", "kiểm kê", "stock take", "inventory", "quản lý đơn hàng", "đơn hàng", "order management",
                       "bốc xếp", "bưu cục", "bưu tá", "chuyển phát", "giao vận", "fulfillment", "sourcing", "buyer",
                       "kho vận", "forwarding", "logistics", "xuất nhập khẩu", "xnk", "import", "export", "hải quan", "customs", "giao nhận",
                       "forwarder", "vận tải", "vận chuyển", "kho", "thủ kho", "warehouse", "supply chain",
                       "chuỗi cung ứng", "mua hàng", "purchasing", "procurement", "thu mua", "lái xe", "tài xế",
                       "driver", "shipper", "giao hàng", "chứng từ", r"điều phối\s+(?:xe|vận tải|đơn hàng|hàng)"]),
        ("hospitality", ["bakery", "beverage", "teambuilding", "team building", "front officer", "soft count", "casino",
                         "dvdl", "dịch vụ du lịch", "rửa xe", "nhà hàng", "khách sạn", "resort", "phục vụ", "phục vụ bàn", "pha chế", "bartender", "barista",
                         "phụ bếp", "đầu bếp", "bếp", "bếp trưởng", "chef", "cook", "waiter", "waitress", "buồng phòng",
                         "housekeeping", "đặt phòng", "reservation", "lễ tân khách sạn", "front office", "f&b", "fnb",
                         "ẩm thực", "tour", "điều hành tour", "tour operator", "hướng dẫn viên", "hướng dẫn viên du lịch",
                         "tour guide", "du lịch", "travel", "lữ hành", "khu vui chơi", "quán", "cafe", "café", "coffee",
                         "trà sữa", "bánh", "karaoke", "bar", "sommelier", "concierge", "bellman", "quản lý nhà hàng",
                         "hotel", "restaurant", "hospitality", "sự kiện - du lịch", "lễ tân nhà hàng"]),
        ("translation", [r"nhân viên tiếng\s+(?:nhật|trung|hàn|đức|pháp|thái|hoa|anh)", "phiên dịch", "phiên dịch viên", "thông dịch", "thông dịch viên", "biên dịch", "biên phiên dịch",
                         "dịch thuật", "translator", "interpreter", "translation", "comtor", "it comtor"]),
        ("security_guard", ["giám sát camera", "camera", "bảo vệ", "bảo an", "vệ sĩ", "security guard", "security officer", "nhân viên an ninh",
                            "an ninh", "bodyguard", "tuần tra"]),
        ("agriculture", ["vườn", "rừng", "aqua", "aquaculture", "nông nghiệp", "chăn nuôi", "thú y", "trồng trọt", "thủy sản", "nuôi trồng", "lâm nghiệp",
                         "cây trồng", "bảo vệ thực vật", "kỹ sư nông", "nông học", "agronomist", "agriculture",
                         "veterinary", "farm", "trang trại", "giống cây", "phân bón", "thức ăn chăn nuôi"]),
        ("legal", ["khởi kiện", "tòa án", "định cư", "di trú", "visa", "giải phóng mặt bằng", "bồi thường", "thủ tục pháp lý", "pháp chế", "pháp lý", "luật sư", "luật", "legal", "lawyer", "compliance", "tuân thủ",
                   "công chứng", "sở hữu trí tuệ", "paralegal"]),
    ],
    case_sensitive=[("ba_pm", ["BA", "PM", "PO", "BrSE"]), ("ai_ml", ["AI"]), ("data", ["DA", "BI"]),
                    ("hr", ["HR", "IT Recruiter"]), ("marketing", ["PR", "UA", "MO"]),
                    ("sales", ["ASM", "RSM", "NVKD", "NVBH", "KAM", "BDM", "GT", "MT"]), ("marketing", ["PG", "PB"]), ("manufacturing", ["IE"]),
                    ("finance", ["RM", "KHCN", "KHDN"])],
)
_GENERIC_SOFTWARE = PhraseRules(
    namespace="family_generic",
    rules=[("software", ["developer", "lập trình viên", "lập trình", "programmer", "software engineer", "kỹ sư phần mềm",
                   "phát triển phần mềm", "kỹ sư phát triển", "coder", "code", "dev", "software", "công nghệ phần mềm"]),
     ("engineer", ["engineer", "kỹ sư", "engineering"])]
)
_WEAK = PhraseRules(
    namespace="family_weak",
    rules=[
        ("game", ["game", "games", "gaming", "esports"]),
        ("mobile", ["mobile", "app", "apps", "ứng dụng"]),
        ("frontend", ["web", "website"]),
        ("it_support", [r"vận hành\s+(?:nền tảng|ứng dụng|hạ tầng)", "vận hành khai thác", "it", "công nghệ thông tin", "hệ thống", "system", "systems", "máy tính", "computer",
                        "công nghệ", "technology", "tech"]),
        ("data", ["analyst", "phân tích", "analytics"]),
        ("ba_pm", ["dự án", "project", "product", "sản phẩm số"]),
        ("admin", ["trợ lý", "assistant", "điều phối", "coordinator", "operations", "vận hành"]),
        ("engineering", ["kỹ thuật viên", "kỹ thuật", "technician", "technical"]),
        ("sales", ["tư vấn", "consultant", "b2b", "b2c", "sale"]),
        ("backend", ["phần mềm", "software", ".net", "c#", "java", "php", "golang", "python", "ruby", "node.js",
                     "nodejs", "spring boot", "laravel", "django", "c++"]),
        ("devops", ["cloud"]),
        ("management", ["trưởng chi nhánh", "chi nhánh", "quản trị viên", "management trainee", "giám đốc", "phó giám đốc", "tổng giám đốc", "giám đốc điều hành", "director", "ceo", "coo",
                        "general manager", "managing director", "chủ tịch", "tổng quản lý", "ban giám đốc",
                        "quản lý điều hành", "điều hành"]),
    ],
    case_sensitive=[("ai_ml", ["AI"])],
)
_FRONT_SKILLS = frozenset({"frontend"})
_CATEGORY_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("ke toan", "kiem toan"), "accounting"),
    (("ngan hang", "tai chinh", "chung khoan", "bao hiem"), "finance"),
    (("kien truc", "thiet ke"), "design"),
    (("xay dung",), "construction"),
    (("marketing", "truyen thong", "quang cao"), "marketing"),
    (("nhan su",), "hr"),
    (("giao duc", "dao tao"), "education"),
    (("duoc", "y te", "benh vien"), "healthcare"),
    (("logistics", "van tai", "xuat nhap khau"), "logistics"),
    (("luat", "phap ly"), "legal"),
    (("san xuat", "co khi", "det may", "thoi trang"), "manufacturing"),
    (("tu dong hoa", "dien tu", "dien lanh", "nang luong", "moi truong", "vien thong", "bao tri"), "engineering"),
    (("it - phan cung", "phan cung"), "embedded"),
    (("ban le", "thuong mai", "bat dong san", "fmcg"), "sales"),
    (("nha hang", "khach san", "du lich", "am thuc", "f&b"), "hospitality"),
    (("cham soc khach hang", "dich vu khach hang"), "customer_service"),
    (("bien phien dich", "phien dich", "thong dich", "dich thuat"), "translation"),
    (("an ninh", "bao ve"), "security_guard"),
    (("nong nghiep", "nong lam", "chan nuoi", "thuy san", "lam nghiep"), "agriculture"),
    (("hanh chinh",), "admin"),
)


def _tech_family(families: Sequence[str], default: str) -> str:
    counts = Counter(f for f in families if f in {"backend", "frontend", "mobile", "data", "ai_ml", "devops",
                                                   "embedded", "game", "qa", "security", "erp"})
    if not counts:
        return default
    if counts["backend"] and counts["frontend"] and min(counts["backend"], counts["frontend"]) * 2 >= max(
        counts["backend"], counts["frontend"]
    ):
        return "fullstack"
    return counts.most_common(1)[0][0]


TITLE_RULES = (_SPECIFIC, _GENERIC_SOFTWARE, _WEAK)
_TITLE_SCAN = MultiRules(*TITLE_RULES)


# Role phrases that name a *function* done in every field ("Quản Lý Dự Án (Hầm - Cầu - Đường)",
# "Triển Khai Hệ Thống ERP"): a later phrase that names the field decides when there is one.
_CROSS_DOMAIN = frozenset({
    ("quản", "lý", "dự", "án"), ("quản", "trị", "dự", "án"), ("project", "manager"), ("project", "management"),
    ("project", "coordinator"), ("điều", "phối", "dự", "án"), ("triển", "khai", "hệ", "thống"),
    ("tư", "vấn", "triển", "khai"), ("implementation",), ("quản", "trị", "rủi", "ro"), ("quản", "lý", "rủi", "ro"),
    ("rủi", "ro"), ("risk",),
})


def _specific_family(hits: list[Hit], tokens: tuple[str, ...] | None) -> str | None:
    if not hits:
        return None
    first = hits[0]
    label = first[3]
    if tokens is not None:
        phrase = tuple(tokens[first[0] : first[0] + first[1]])
        if phrase in _CROSS_DOMAIN:
            for hit in hits[1:]:
                if tuple(tokens[hit[0] : hit[0] + hit[1]]) not in _CROSS_DOMAIN and hit[3] != label:
                    return hit[3]
        if label == "security" and any(h[3] == "security_guard" for h in hits[1:]):
            return "security_guard"  # "Security (Nhân Viên Bảo An)" names a guard, not IT security
    return label


def family_parts_from_hits(
    grouped: dict[str, list[Hit]], tokens: tuple[str, ...] | None = None
) -> tuple[str | None, str | None, str | None]:
    """(specific family, generic noun kind, weak family) from a title's hits by namespace.

    ``tokens`` (the title's lower-cased tokens) lets a cross-domain function phrase defer to a
    later phrase naming the field.
    """
    specific = _specific_family(list(grouped.get("family", ())), tokens)
    if specific is not None:
        return specific, None, None
    return None, first_label(grouped.get("family_generic", ())), first_label(grouped.get("family_weak", ()))


@lru_cache(maxsize=65_536)
def family_from_title(title: str) -> tuple[str | None, str | None, str | None]:
    """(specific family, generic noun kind, weak family) found in a title."""
    tokens, grouped = _TITLE_SCAN.scan(title)
    return family_parts_from_hits(grouped, tokens.lower)


def skill_families(skills: Sequence[str]) -> list[str]:
    """Family hints of the taxonomy skills among ``skills`` (unknown skills give none)."""
    out = []
    for name in skills:
        info = skill_info(name)
        if info is not None and info.family:
            out.append(info.family)
    return out


@lru_cache(maxsize=1024)
def family_from_category(category: str) -> str | None:
    """The family a board category implies, if any ("IT - Phần mềm" implies none)."""
    key = fold(category)
    for needles, family in _CATEGORY_RULES:
        if any(n in key for n in needles):
            return family
    return None


def text_family_counts(text: str | None) -> Counter[str]:
    """How often each family's role phrases occur in a long text."""
    return _SPECIFIC.counts(text) if text else Counter()


def decide_family(
    title_parts: tuple[str | None, str | None, str | None],
    title_skill_families: Sequence[str],
    skill_families_: Sequence[str],
    category: str | None,
    text_counts: Counter[str] | None,
) -> str:
    """The evidence ladder of the module docstring over pre-computed evidence."""
    specific, generic, weak = title_parts
    if specific:
        return specific
    if generic:
        default = "backend" if generic == "software" else "engineering"
        return _tech_family([*title_skill_families, *skill_families_], default)
    if weak:
        return weak
    if skill_families_:
        return _tech_family(skill_families_, Counter(skill_families_).most_common(1)[0][0])
    if category:
        found = family_from_category(category)
        if found:
            return found
    if text_counts:
        return text_counts.most_common(1)[0][0]
    return "other"


def detect_job_family(
    title: str | None,
    skills: Sequence[str] = (),
    category: str | None = None,
    text: str | None = None,
    title_skills: Sequence[str] = (),
) -> str:
    """Job family by the evidence ladder in the module docstring; ``other`` when nothing decides."""
    parts = family_from_title(title) if isinstance(title, str) and title else (None, None, None)
    return decide_family(
        parts,
        skill_families(title_skills),
        skill_families(skills),
        category if isinstance(category, str) and category else None,
        text_family_counts(text) if isinstance(text, str) else None,
    )
