"""Capabilities: a short list of what the job actually does ("build web APIs", "prepare tax reports").

Why: a family says which department a job belongs to; capabilities say what the person will do,
which is what skill-gap and curriculum analyses need. They come from keyword/verb rules over the
title first, then the skills, then requirements and description, in that order of evidence, and
at most five are kept so the list stays a summary, not a transcript.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from jobinsight.transform.rules import PhraseRules

__all__ = ["MAX_CAPABILITIES", "RULES", "capabilities_of", "detect_capabilities", "merge_capabilities"]

MAX_CAPABILITIES = 5

_RULES = PhraseRules(
    namespace="capability",
    rules=[
        ("build backend services and APIs", ["backend", "back-end", "api", "apis", "restful", "microservices?",
                                             "server-side", "xây dựng api", "phát triển api", "spring boot", "node.js",
                                             "nodejs", ".net core", "django", "laravel", "fastapi"]),
        ("build web user interfaces", ["frontend", "front-end", "react", "reactjs", "react.js", "vue.js", "vuejs", "angular",
                                       "giao diện web", "html/css", "next.js", "nextjs"]),
        ("build mobile apps", ["android", "ios", "flutter", "react native", "mobile app", "ứng dụng di động",
                               "ứng dụng mobile", "app mobile"]),
        ("build data pipelines", ["etl", "data pipelines?", "data warehouse", "kho dữ liệu", "airflow", "spark",
                                  "data engineer", "luồng dữ liệu", "data lake"]),
        ("analyze data and build reports", ["data analyst", "phân tích dữ liệu", "dashboards?", "power bi", "tableau",
                                            "báo cáo phân tích", "trực quan hóa", "data analysis", "looker"]),
        ("build machine learning models", ["machine learning", "deep learning", "huấn luyện mô hình", "computer vision",
                                           "nlp", "mô hình ai", "ai engineer", "ml engineer", "pytorch", "tensorflow"]),
        ("build LLM applications", ["llms?", "rag", "prompt engineering", "langchain", "chatbot", "generative ai",
                                    "gen ai", "ai agents?"]),
        ("operate cloud infrastructure", ["aws", "azure", "gcp", "google cloud", "kubernetes", "k8s", "hạ tầng cloud",
                                          "cloud engineer", "cloud infrastructure", "terraform"]),
        ("automate CI/CD pipelines", ["ci/cd", "jenkins", "gitlab ci", "github actions", "devops"]),
        ("test software manually", ["manual test", "manual testing", "manual tester", "test case", "test cases",
                                    "kiểm thử thủ công", "viết test case", "kiểm thử phần mềm", "tester"]),
        ("automate software tests", ["automation test", "automation testing", "automation tester", "selenium", "appium",
                                     "playwright", "cypress", "kiểm thử tự động", "test automation"]),
        ("secure systems and networks", ["bảo mật", "security", "pentest", "penetration", "siem", "soc",
                                         "an toàn thông tin", "an ninh mạng", "kiểm thử xâm nhập", "lỗ hổng"]),
        ("administer servers and networks", ["system admin", "system administrator", "quản trị hệ thống",
                                             "quản trị mạng", "windows server", "linux server", "vlan", "firewall",
                                             "network engineer", "hạ tầng mạng", "hệ thống mạng", "sysadmin"]),
        ("support IT users", ["helpdesk", "help desk", "it support", "hỗ trợ người dùng", "xử lý sự cố máy tính",
                              "cài đặt phần mềm", "sửa chữa máy tính", "hỗ trợ kỹ thuật"]),
        ("develop embedded firmware", ["embedded", "firmware", "nhúng", "vi điều khiển", "rtos", "autosar",
                                       "microcontroller"]),
        ("develop games", ["unity", "unreal", "game developer", "lập trình game", "cocos"]),
        ("design game mechanics", ["game design", "game designer", "thiết kế game", "kịch bản game", "level design",
                                   "gameplay"]),
        ("implement ERP and business software", ["erp", "sap", "odoo", "triển khai phần mềm", "tư vấn triển khai",
                                                 "dynamics 365"]),
        ("analyze business requirements", ["business analyst", "phân tích nghiệp vụ", "phân tích yêu cầu", "srs",
                                           "use case", "user story", "brd"]),
        ("manage projects", ["project manager", "quản lý dự án", "quản trị dự án", "điều phối dự án",
                             "quản lý tiến độ", "scrum master", "project management"]),
        ("design UI/UX", ["ui/ux", "ux/ui", "figma", "wireframe", "prototype", "thiết kế giao diện", "ui designer",
                          "ux designer"]),
        ("design graphics", ["thiết kế đồ họa", "graphic design", "graphic designer", "photoshop", "illustrator",
                             "banner", "poster", "ấn phẩm", "key visual"]),
        ("edit videos", ["video editor", "dựng video", "edit video", "premiere", "capcut", "quay dựng", "dựng phim",
                         "biên tập video", "chỉnh sửa video", "after effects"]),
        ("create 2D/3D art and animation", ["3d artist", "2d artist", "animation", "animator", "vfx", "blender", "maya",
                                            "3ds max", "họa sĩ", "concept art"]),
        ("design architecture and interiors", ["kiến trúc sư", "thiết kế kiến trúc", "nội thất", "interior",
                                               "phối cảnh", "sketchup", "revit", "architect"]),
        ("supervise construction sites", ["giám sát thi công", "thi công", "công trường", "site engineer",
                                          "giám sát công trình", "nghiệm thu"]),
        ("estimate construction quantities", ["dự toán", "bóc khối lượng", "bóc tách khối lượng", "quantity surveyor",
                                              "qs", "thanh quyết toán"]),
        ("prepare technical drawings", ["bản vẽ", "shop drawing", "shopdrawing", "autocad", "triển khai bản vẽ",
                                        "bản vẽ kỹ thuật"]),
        ("design electrical and MEP systems", ["thiết kế điện", "hệ thống điện", "electrical", "tủ điện", "mep", "m&e",
                                               "hvac", "cơ điện", "điện nhẹ", "cấp thoát nước"]),
        ("program PLCs and automation", ["plc", "scada", "hmi", "tự động hóa"]),
        ("maintain equipment", ["bảo trì", "bảo dưỡng", "sửa chữa thiết bị", "maintenance", "sửa chữa máy"]),
        ("operate production lines", ["vận hành máy", "dây chuyền", "cnc", "gia công", "lập trình cam", "sản xuất"]),
        ("control product quality", ["kiểm soát chất lượng", "qa/qc", "kiểm tra chất lượng", "iso 9001", "quality control",
                                     "đảm bảo chất lượng"]),
        ("record accounting entries", ["hạch toán", "ghi sổ", "chứng từ kế toán", "nghiệp vụ kế toán",
                                       "kế toán tổng hợp", "sổ sách kế toán", "bookkeeping", "kế toán"]),
        ("prepare tax reports", ["báo cáo thuế", "quyết toán thuế", "kê khai thuế", "kế toán thuế", "tờ khai thuế",
                                 "thuế gtgt", "thuế tncn", "thuế tndn"]),
        ("prepare financial statements", ["báo cáo tài chính", "bctc", "financial statements", "financial reporting"]),
        ("manage accounts payable", ["công nợ phải trả", "accounts payable", "thanh toán nhà cung cấp",
                                     "công nợ nhà cung cấp"]),
        ("manage accounts receivable", ["công nợ phải thu", "accounts receivable", "thu hồi công nợ",
                                        "công nợ khách hàng", "kế toán công nợ"]),
        ("audit financial records", ["kiểm toán", "audit", "auditor", "kiểm soát nội bộ"]),
        ("analyze financial performance", ["phân tích tài chính", "financial analysis", "ngân sách", "budgeting",
                                           "fp&a", "dòng tiền", "cash flow"]),
        ("sell products and services", ["bán hàng", "kinh doanh", "sales", "doanh số", "chốt đơn", "chốt sales",
                                        "telesales", "telesale", "presales"]),
        ("find new customers", ["tìm kiếm khách hàng", "khách hàng mới", "phát triển thị trường",
                                "khai thác khách hàng", "lead generation", "business development",
                                "khách hàng tiềm năng"]),
        ("manage key accounts", ["account manager", "key account", "quản lý khách hàng", "chăm sóc khách hàng doanh nghiệp"]),
        ("support customers", ["chăm sóc khách hàng", "cskh", "customer service", "customer support", "hỗ trợ khách hàng",
                               "giải đáp thắc mắc", "tổng đài"]),
        ("run digital ads", ["facebook ads", "google ads", "tiktok ads", "chạy quảng cáo", "quảng cáo", "user acquisition",
                             "ads", "performance marketing"]),
        ("monetize apps", ["monetization", "admob", "applovin", "ad network"]),
        ("create marketing content", ["content", "viết bài", "copywriting", "sáng tạo nội dung", "kịch bản video",
                                      "nội dung"]),
        ("manage social media", ["fanpage", "social media", "mạng xã hội", "kênh tiktok", "livestream", "cộng đồng"]),
        ("optimize SEO", ["seo"]),
        ("recruit candidates", ["tuyển dụng", "recruitment", "recruiter", "sàng lọc hồ sơ", "phỏng vấn ứng viên",
                                "headhunt"]),
        ("manage payroll and benefits", ["tính lương", "payroll", "bảo hiểm xã hội", "c&b", "bhxh"]),
        ("handle office administration", ["hành chính", "văn thư", "văn phòng phẩm", "lễ tân", "lưu trữ hồ sơ"]),
        ("handle import-export procedures", ["xuất nhập khẩu", "hải quan", "chứng từ xuất nhập khẩu", "customs", "xnk",
                                             "booking"]),
        ("manage warehouse inventory", ["thủ kho", "nhập xuất tồn", "kiểm kê", "quản lý kho", "warehouse", "tồn kho"]),
        ("purchase goods and materials", ["mua hàng", "thu mua", "purchasing", "procurement", "tìm kiếm nhà cung cấp"]),
        ("teach and train learners", ["giảng dạy", "giáo viên", "giảng viên", "teaching", "giáo án", "học viên",
                                      "đào tạo", "trợ giảng"]),
        ("handle legal matters and contracts", ["pháp lý", "hợp đồng", "pháp chế", "legal", "luật"]),
        ("translate and interpret", ["phiên dịch", "biên dịch", "comtor", "interpreter", "translator", "dịch thuật"]),
    ]
)


RULES = _RULES


@lru_cache(maxsize=65_536)
def _labels_short(text: str) -> tuple[str, ...]:
    return tuple(_RULES.labels(text))


def _labels(text: str) -> tuple[str, ...]:
    return tuple(_RULES.labels(text)) if len(text) > 512 else _labels_short(text)


def capabilities_of(text: str | None) -> tuple[str, ...]:
    """Capabilities one text points to, in order of first evidence (uncapped)."""
    if not isinstance(text, str) or not text:
        return ()
    return _labels(text)


def merge_capabilities(*found: Sequence[str], limit: int = MAX_CAPABILITIES) -> tuple[str, ...]:
    """Union in order of the sources, capped at ``limit``."""
    out: list[str] = []
    for labels in found:
        for label in labels:
            if label not in out:
                out.append(label)
                if len(out) >= limit:
                    return tuple(out)
    return tuple(out)


def detect_capabilities(
    title: str | None, skills: Sequence[str] = (), *texts: str | None, limit: int = MAX_CAPABILITIES
) -> list[str]:
    """Up to ``limit`` capabilities: title evidence first, then skills, then the longer texts."""
    out: list[str] = []
    sources = [title, ", ".join(skills) if skills else None, *texts]
    for text in sources:
        if not isinstance(text, str) or not text:
            continue
        for label in _labels(text):
            if label not in out:
                out.append(label)
                if len(out) >= limit:
                    return out
    return out
