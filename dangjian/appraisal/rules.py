"""The grade bands of 述职评议 as data (a compliance-rulebook setting: an organisation may change them for its
subtree). Thresholds are the share of the form's full marks a report's average must reach."""

from dangjian.compliance.rulebook import Rule, Severity, Tag

GRADE_BANDS = "appraisal.grade_bands"

RULES = [
    Rule(GRADE_BANDS, "述职评议等次：好、较好、一般、差（按得分率划分）",
         "《党委（党组）书记抓基层党建工作述职评议考核办法（试行）》（2015）设好、较好、一般、差四个等次；"
         "分数线为地方做法", Tag.LOCAL, Severity.INFO,
         {"good": 90, "better": 80, "fair": 60},
         {"good": "“好”的得分率不低于（%）", "better": "“较好”的得分率不低于（%）", "fair": "“一般”的得分率不低于（%）"},
         param_bounds={"good": (1, 100), "better": (1, 100), "fair": (1, 100)},
         param_order=(("fair", "better"), ("better", "good"))),
]
