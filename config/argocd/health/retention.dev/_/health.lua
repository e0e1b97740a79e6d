-- Argo CD health check for every retention.dev/v1alpha1 kind: the directory
-- "_" is Argo CD's resource_customizations spelling of the wildcard kind
-- (retention.dev/*). After changing it, run `go run ./config/argocd/gen` to
-- refresh argocd-cm-patch.yaml (test/gitops fails while it is stale).
-- Reads the kstatus-style conditions every retention.dev kind reports:
-- Ready (always), Reconciling and Stalled (only while true), and
-- status.observedGeneration.
local hs = {}

-- condition returns the condition of the given type, or nil.
local function condition(conditions, type)
  for _, c in ipairs(conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
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
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to report status"
  return hs
end

-- A status written for an older spec says nothing about the current one.
local generation = obj.metadata.generation or 0
local observed = obj.status.observedGeneration or 0
if observed < generation then
  hs.status = "Progressing"
  -- Argo CD opens only the base, table and os libraries for health checks
  -- (no string/math), so numbers are formatted with tostring.
  hs.message = "Waiting for the controller to observe generation " .. tostring(generation) ..
    " (status is for " .. tostring(observed) .. ")"
  return hs
end

local conditions = obj.status.conditions
local stalled = condition(conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
  return hs
end

-- A suspended Playbook holds its worker at zero on purpose (no other kind
-- has status.suspended).
if obj.status.suspended == true then
  hs.status = "Suspended"
  hs.message = obj.kind .. " is suspended (spec.suspend)"
  return hs
end

local ready = condition(conditions, "Ready")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
  return hs
end

local reconciling = condition(conditions, "Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(reconciling, "Reconciling")
  return hs
end

if ready ~= nil and ready.status == "False" then
  hs.status = "Degraded"
  hs.message = describe(ready, "Not ready")
  return hs
end

hs.status = "Progressing"
hs.message = "Waiting for the Ready condition"
return hs
