from flask import Blueprint

bp = Blueprint("committee", __name__, url_prefix="/committee", template_folder="templates")
