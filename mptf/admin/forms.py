from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from mptf.forms_util import NoNul, choices
from mptf.models import ROLE_LABELS


class UserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=choices(ROLE_LABELS.items()))
    country = StringField("Country (ISO alpha-3, country teams only)",
                          validators=[Optional(), Length(min=3, max=3)])
    password = PasswordField("Initial password", validators=[DataRequired(), Length(min=10, max=200)])
    submit = SubmitField("Create account")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter form changes nothing

    action = StringField("Action", validators=[Optional(), NoNul(), Length(max=80)])
    entity_type = StringField("Entity", validators=[Optional(), NoNul(), Length(max=60)])
    entity_id = StringField("Entity id", validators=[Optional(), NoNul(), Length(max=12)])
    actor = StringField("Actor e-mail", validators=[Optional(), NoNul(), Length(max=254)])
    date_from = StringField("From (YYYY-MM-DD)", validators=[Optional(), NoNul(), Length(max=10)])
    date_to = StringField("To (YYYY-MM-DD)", validators=[Optional(), NoNul(), Length(max=10)])
