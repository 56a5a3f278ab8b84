"""API permission-matrix rows for the appraisal app (see tests/test_api_permissions.py); the objects come from
tests/matrix_appraisal.extend_ctx."""

from tests.matrix_appraisal import extend_ctx  # noqa: F401 - the API context needs the same objects
from tests.test_api_permissions import Case, api_list, api_read

EXPECT = {
    "appraisal_forms_list": Case(api_list()),
    "appraisal_forms_detail": Case(api_read(), lambda c, s: {"form_id": c[f"appraisal_form_{s}"].pk}),
    "appraisal_reports_detail": Case(api_read(), lambda c, s: {"report_id": c[f"appraisal_report_{s}"].pk}),
}
