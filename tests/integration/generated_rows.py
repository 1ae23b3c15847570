"""A generated import file of any size, of every kind of row (the import tests' bulk data;
the 100,000 rows measured once and written into docs/import-format.md were made by it)."""

from __future__ import annotations

from datetime import date, timedelta

from tests.integration.transfer_store import rows

# 100,000 rows (measured once and written into docs/import-format.md)


def generate(projects: int, events_per_project: int) -> str:
    """A portfolio row, its targets, and per project an announcement and its events: status
    moves, commitments and disbursements in two currencies, jobs, milestones, a correction
    and a retraction."""
    lines: list[dict[str, str]] = [
        {
            "row_id": "p",
            "type": "portfolio",
            "portfolio_ref": "bulk",
            "title": "Bulk",
            "forum": "Load test",
            "effective_date": "2019-12-01",
        },
        {
            "row_id": "t",
            "type": "targets",
            "portfolio_ref": "bulk",
            "amount": "1000000000",
            "currency": "USD",
            "jobs": "10000",
            "projects": str(projects),
            "effective_date": "2019-12-01",
        },
    ]
    sectors = ["energy", "metallurgy", "transport", "agriculture", "textiles"]
    regions = ["KZ-61", "UZ-SI", "UZ-TO", "KZ-75"]
    start = date(2020, 1, 1)
    for p in range(projects):
        ref = f"prj-{p}"
        lines.append(
            {
                "row_id": f"{ref}-0",
                "type": "announced",
                "portfolio_ref": "bulk",
                "project_ref": ref,
                "effective_date": "2020-01-01",
                "title": f"Project {p}",
                "sector": sectors[p % 5],
                "regions": regions[p % 4],
                "amount": "5000000.00",
                "currency": "USD",
                "planned_jobs": "100",
            }
        )
        for i in range(1, events_per_project + 1):
            row = {
                "row_id": f"{ref}-{i}",
                "project_ref": ref,
                "effective_date": (start + timedelta(days=i)).isoformat(),
            }
            if i <= 2:
                row.update(type="status_changed", status=["agreed", "under_implementation"][i - 1])
            elif i == events_per_project - 1 and i > 6:
                # row 5 is a commitment, row 6 a disbursement
                row.update(type="corrected", corrects=f"{ref}-5", reason="typo", amount="1500.00")
            elif i == events_per_project and i > 7:
                row.update(type="retracted", retracts=f"{ref}-6", reason="duplicate")
            else:
                kind = ["committed", "disbursed", "disbursed", "jobs_created", "milestone"][i % 5]
                row["type"] = kind
                if kind in ("committed", "disbursed"):
                    row.update(amount=f"{1000 + i}.00", currency="USD" if i % 3 else "KZT")
                elif kind == "jobs_created":
                    row.update(permanent=str(i % 7 + 1), temporary="2")
                else:
                    row["name"] = f"Milestone {i}"
            lines.append(row)
    return rows(*lines)
