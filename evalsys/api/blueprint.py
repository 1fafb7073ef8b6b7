"""The `/api/v1` blueprint (flask-smorest: marshmallow schemas → the generated OpenAPI document)."""
from __future__ import annotations

from flask_smorest import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1",
               description="评审与资金数据接口：批次、申报、结果、资金、绩效评价（Bearer 令牌认证）")
