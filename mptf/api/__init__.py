"""The JSON API (/api/v1), its OpenAPI description, API tokens and the IATI export; with the
public portfolio pages (mptf.public), the fund's transparency and integration surface."""


def blueprints() -> tuple:
    """The blueprints to register: the public pages, the API and the token pages."""
    from mptf.api.account import bp as tokens_bp
    from mptf.api.routes import bp as api_bp
    from mptf.public.routes import bp as public_bp

    return (public_bp, api_bp, tokens_bp)
