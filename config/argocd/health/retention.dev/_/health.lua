-- Argo CD health check for every retention.dev/v1alpha1 kind: the directory
-- "_" is Argo CD's resource_customizations spelling of the wildcard kind
-- (retention.dev/*). After changing it, run `go run ./config/argocd/gen` to
-- refresh argocd-cm-patch.yaml (test/gitops fails while it is stale).
-- Reads the kstatus-style conditions every retention.dev kind reports:
-- Ready (always), Reconciling and Stalled (only while true), and
-- status.observedGeneration.
-- health is what Argo CD reads back: a status and a message.
local function health(status, message)
  return {status = status, message = message}
end

-- condition returns the condition of the given type, or nil.
local function condition(conditions, type)
  for _, c in ipairs(conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

-- is reports whether condition c is present with the given status.
local function is(c, status)
  return c ~= nil and c.status == status
end

-- describe prefers the condition's message and falls back to its reason.
local function describe(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

if obj.status == nil or obj.status.conditions == nil then
  return health("Progressing", "Waiting for the controller to report status")
end

-- A status written for an older spec says nothing about the current one.
local generation = obj.metadata.generation or 0
local observed = obj.status.observedGeneration or 0
if observed < generation then
  -- Argo CD opens only the base, table and os libraries for health checks
  -- (no string/math), so numbers are formatted with tostring.
  return health("Progressing", "Waiting for the controller to observe generation " .. tostring(generation) ..
    " (status is for " .. tostring(observed) .. ")")
end

local conditions = obj.status.conditions
local stalled = condition(conditions, "Stalled")
if is(stalled, "True") then
  return health("Degraded", describe(stalled, "Stalled"))
end

-- A suspended Playbook holds its worker at zero on purpose (no other kind
-- has status.suspended).
if obj.status.suspended == true then
  return health("Suspended", obj.kind .. " is suspended (spec.suspend)")
end

local ready = condition(conditions, "Ready")
if is(ready, "True") then
  return health("Healthy", describe(ready, "Ready"))
end

local reconciling = condition(conditions, "Reconciling")
if is(reconciling, "True") then
  return health("Progressing", describe(reconciling, "Reconciling"))
end

if is(ready, "False") then
  return health("Degraded", describe(ready, "Not ready"))
end

return health("Progressing", "Waiting for the Ready condition")
