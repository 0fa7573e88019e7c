"""Open311 errors: every refusal is answered as GeoReport v2 says, a list of {code, description}."""


class Open311Error(Exception):
    def __init__(self, status: int, description: str, *, headers: dict | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers or {}

    def as_data(self) -> list[dict]:
        return [{"code": self.status, "description": self.description}]
