package loyalty

// openAPIDocument describes the API (OpenAPI 3.0). Kept as a literal so it is
// served byte-for-byte and reviewed with the handlers it documents.
var openAPIDocument = []byte(`{
  "openapi": "3.0.3",
  "info": {"title": "retention-operator loyalty API", "version": "v1"},
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "schemas": {
      "Error": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string", "description": "what is wrong"},
        "field": {"type": "string", "description": "the field, header or parameter at fault"}}},
      "Insufficient": {"allOf": [{"$ref": "#/components/schemas/Error"}, {"type": "object", "properties": {
        "available": {"type": "integer"}, "needed": {"type": "integer"}}}]},
      "TierRequired": {"allOf": [{"$ref": "#/components/schemas/Error"}, {"type": "object", "properties": {
        "reward": {"type": "string"}, "minTier": {"type": "string", "description": "lowest tier that may redeem the reward"},
        "tier": {"type": "string", "description": "the member's tier, empty below every tier"}}}]},
      "Member": {"type": "object", "properties": {
        "id": {"type": "string"}, "available": {"type": "integer"}, "pending": {"type": "integer"},
        "tier": {"type": "string", "description": "empty below every tier"},
        "progress": {"type": "object", "properties": {
          "nextTier": {"type": "string"}, "basis": {"type": "string", "enum": ["points", "spend"]},
          "current": {"type": "number"}, "threshold": {"type": "number"}, "remaining": {"type": "number"},
          "fraction": {"type": "number"}}},
        "expiringPoints": {"type": "integer"}, "expiringAt": {"type": "string", "format": "date-time"},
        "rewards": {"type": "array", "items": {"type": "string"}, "description": "rewards the member's tier may redeem (whatever the balance)"}}},
      "Entry": {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["earn", "bonus", "redeem", "expire", "adjust", "reverse"]},
        "points": {"type": "integer"}, "amount": {"type": "number"}, "ref": {"type": "string"}, "reason": {"type": "string"},
        "occurredAt": {"type": "string", "format": "date-time"}, "recordedAt": {"type": "string", "format": "date-time"}}},
      "Redemption": {"type": "object", "properties": {
        "redemptionId": {"type": "integer"}, "reward": {"type": "string"}, "points": {"type": "integer"},
        "available": {"type": "integer"}, "redeemedAt": {"type": "string", "format": "date-time"}}},
      "Adjustment": {"type": "object", "properties": {
        "adjustmentId": {"type": "integer"}, "points": {"type": "integer"}, "reason": {"type": "string"},
        "available": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}}}
    },
    "responses": {
      "BadRequest": {"description": "invalid request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unauthorized": {"description": "missing or wrong bearer token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "unknown member or reward", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "AdminForbidden": {"description": "the API token on an admin route, or any token while admin routes are off (no admin token separate from the API token: set spec.adminTokenSecretRef)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "parameters": {
      "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string", "maxLength": 200}}
    }
  },
  "security": [{"bearer": []}],
  "paths": {
    "/v1/members/{id}": {"get": {"summary": "Balance (available, pending), tier and progress to the next tier",
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "responses": {"200": {"description": "member", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Member"}}}},
        "401": {"$ref": "#/components/responses/Unauthorized"}, "404": {"$ref": "#/components/responses/NotFound"}}}},
    "/v1/members/{id}/history": {"get": {"summary": "Ledger entries, newest first",
      "parameters": [{"$ref": "#/components/parameters/id"},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
        {"name": "before", "in": "query", "description": "entry id to page below (nextBefore of the previous page)", "schema": {"type": "integer"}}],
      "responses": {"200": {"description": "entries", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}}, "nextBefore": {"type": "integer"}}}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
        "404": {"$ref": "#/components/responses/NotFound"}}}},
    "/v1/members/{id}/redemptions": {"post": {"summary": "Redeem a reward (oldest unexpired points first)",
      "parameters": [{"$ref": "#/components/parameters/id"},
        {"name": "Idempotency-Key", "in": "header", "required": true, "description": "a retry with the same key returns the first answer and deducts nothing",
         "schema": {"type": "string", "maxLength": 200}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["reward"],
        "additionalProperties": false, "properties": {"reward": {"type": "string"}}}}}},
      "responses": {"201": {"description": "redeemed (header Idempotent-Replayed: true on a retry)",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Redemption"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "403": {"description": "the reward's minTier is above the member's tier; nothing is deducted and the Idempotency-Key stays unused, so the same key may be retried after the member moves up", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TierRequired"}}}},
        "409": {"description": "insufficient points; nothing is deducted and the Idempotency-Key stays unused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Insufficient"}}}},
        "422": {"description": "Idempotency-Key reused for a different reward", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/v1/members/{id}/adjustments": {"post": {"summary": "Admin credit or debit (admin token)",
      "parameters": [{"$ref": "#/components/parameters/id"},
        {"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string"}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["points", "reason"],
        "additionalProperties": false, "properties": {"points": {"type": "integer", "minimum": -1000000000, "maximum": 1000000000, "not": {"enum": [0]}}, "reason": {"type": "string", "minLength": 1, "maxLength": 1000}}}}}},
      "responses": {"201": {"description": "adjusted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Adjustment"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/AdminForbidden"}, "404": {"$ref": "#/components/responses/NotFound"},
        "409": {"description": "debit larger than the available balance", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Insufficient"}}}},
        "413": {"description": "request body larger than 16 KiB", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "422": {"description": "the credit would take the member's balance above the maximum of 1000000000000 points", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/v1/members/{id}/erasure": {"post": {"summary": "Erase the customer's personal data in this worker's state store (admin token; see docs/privacy.md). Points entries stay under a random tombstone, so totals do not change; repeating it is harmless",
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "responses": {"200": {"description": "erased: a pseudonym (HMAC of the id under the store's key), the run number and rows touched per table; never the id",
          "content": {"application/json": {"schema": {"type": "object", "properties": {"pseudonym": {"type": "string"}, "run": {"type": "integer"},
            "erasedAt": {"type": "string", "format": "date-time"}, "rows": {"type": "object", "additionalProperties": {"type": "integer"}}}}}}},
        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/AdminForbidden"}}}},
    "/v1/tier-changes": {"get": {"summary": "Tier changes after a cursor, oldest first (admin token; for tierChange playbooks)",
      "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer", "default": 0}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 100, "maximum": 1000}}],
      "responses": {"200": {"description": "changes and the next cursor", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "cursor": {"type": "integer"}, "changes": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "memberId": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"},
            "direction": {"type": "string", "enum": ["up", "down"]}, "at": {"type": "string", "format": "date-time"}}}}}}}}},
        "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/AdminForbidden"}}}},
    "/v1/expiring": {"get": {"summary": "Members whose points lapse within the warning window (admin token; for reminder playbooks)",
      "responses": {"200": {"description": "members", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "members": {"type": "array", "items": {"type": "object", "properties": {
            "memberId": {"type": "string"}, "points": {"type": "integer"}, "expiresAt": {"type": "string", "format": "date-time"}}}}}}}}},
        "401": {"$ref": "#/components/responses/Unauthorized"}, "403": {"$ref": "#/components/responses/AdminForbidden"}}}},
    "/healthz": {"get": {"security": [], "summary": "liveness", "responses": {"200": {"description": "alive"}}}},
    "/readyz": {"get": {"security": [], "summary": "readiness (state store reachable)", "responses": {"200": {"description": "ready"}, "503": {"description": "state store unreachable"}}}},
    "/metrics": {"get": {"security": [], "summary": "Prometheus metrics", "responses": {"200": {"description": "text exposition"}}}},
    "/openapi.json": {"get": {"security": [], "summary": "this document", "responses": {"200": {"description": "OpenAPI 3 document"}}}}
  }
}`)
