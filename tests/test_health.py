from django.db import connection


def test_healthz_reports_ok_and_the_database_engine(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": connection.vendor}
    assert response["Cache-Control"] == "no-store"
