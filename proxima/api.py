from ninja import NinjaAPI

api = NinjaAPI(title="Proxima API", version="1", urls_namespace="api")
