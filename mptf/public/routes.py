"""The public portfolio (no sign-in): funded joint programmes with filters, the fund's money,
contributions by donor and the pipeline's unfunded demand in aggregate. Every response carries
an ETag and Last-Modified, and a conditional GET of an unchanged page is a 304."""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, Response, abort, render_template, request

from mptf.charts import bars
from mptf.extensions import db
from mptf.models import REGIONS, Country, ThematicArea
from mptf.pagination import page_number
from mptf.public import portfolio
from mptf.public.caching import conditional, page_viewer

bp = Blueprint("public", __name__, url_prefix="/portfolio", template_folder="templates")

PER_PAGE = 50
# The SVG charts are served as images with their own policy: matplotlib writes inline styles,
# which the site's policy forbids in pages, and an image cannot run scripts.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


@bp.route("/")
def index():
    filters = portfolio.PortfolioFilters.from_args(request.args)

    def build():
        paged, programmes = portfolio.programmes_page(filters, page_number(request.args),
                                                       PER_PAGE)
        count, total = portfolio.programmes_count(filters)
        return render_template(
            "public/portfolio.html", filters=filters, page=paged, programmes=programmes,
            count=count, total=total, totals=portfolio.fund_totals(),
            demand=portfolio.pipeline_demand(), donors=portfolio.contributions_by_donor(),
            fund_name=portfolio.fund_name(), years=portfolio.years(),
            areas=db.session.scalars(db.select(ThematicArea).order_by(ThematicArea.id)).all(),
            regions=REGIONS,
            countries=db.session.scalars(db.select(Country).order_by(Country.name)).all())

    return conditional(build, viewer=page_viewer())


@bp.route("/programmes/<int:allocation_id>")
def programme(allocation_id: int):
    found = portfolio.programme(allocation_id)
    if found is None:
        abort(404)
    return conditional(lambda: render_template("public/programme.html", p=found,
                                               fund_name=portfolio.fund_name()),
                       viewer=page_viewer())


@bp.route("/charts/<any(area, region, donors):name>.svg")
def chart(name: str):
    fresh = portfolio.freshness()

    def build():
        response = Response(_chart(name, fresh.fingerprint), mimetype="image/svg+xml")
        response.headers["Content-Security-Policy"] = SVG_POLICY
        return response

    response = conditional(build, fresh=fresh)
    response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


@lru_cache(maxsize=16)
def _chart(name: str, fingerprint: str) -> str:  # noqa: ARG001 (the cache key)
    """A chart drawn once per state of the data (``fingerprint``) and process."""
    return _draw(name)


def _draw(name: str) -> str:
    if name == "donors":
        donors = portfolio.contributions_by_donor()[:15]
        return bars([d["name"] for d in donors] or ["No contributions yet"],
                    {"Contributions": [d["gross_cents"] for d in donors] or [0]},
                    title="Contributions by donor",
                    size=(7.0, max(1.6, 0.35 * len(donors) + 1.0)))
    rows = portfolio.pipeline_demand()["thematic_area" if name == "area" else "region"]
    title = "by thematic area" if name == "area" else "by region"
    return bars([r["label"] for r in rows],
                {"Funded": [r["funded_cents"] for r in rows],
                 "Unfunded demand": [r["unfunded_demand_cents"] for r in rows]},
                title=f"Funded programmes and unfunded demand {title}")
