from flask import Blueprint

bp = Blueprint("allocation", __name__, url_prefix="/fund", template_folder="templates")
