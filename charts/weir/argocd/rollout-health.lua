-- Argo CD health check for rollouts.weir.dev/Rollout.
-- Argo CD sets `obj` to the live object and reads {status=..., message=...} back. Only its
-- base, table and package libraries are loaded (no string library, and os only through
-- require("os")), so plain operators only.

-- The chart's argocd.kit.promotionGateHealthy turns this on: a release waiting at a
-- `pause: {}` step is then Healthy instead of Suspended, so Argo CD syncs (and their
-- PostSync hooks) finish while the release waits for a person.
local promotionGateHealthy = false

local hs = {status = "Progressing", message = "Waiting for Weir to report the Rollout's status"}
local st = obj.status
if st == nil then
  return hs
end

-- A status written for an older spec says nothing about the spec Argo CD just applied.
local generation = obj.metadata.generation or 0
if st.observedGeneration == nil or st.observedGeneration < generation then
  hs.message = "Waiting for Weir to observe generation " .. generation
  return hs
end

if st.aborted ~= nil then
  hs.status = "Degraded"
  hs.message = "Release aborted (" .. (st.aborted.reason or "unknown") .. ")"
  if st.aborted.message ~= nil and st.aborted.message ~= "" then
    hs.message = hs.message .. ": " .. st.aborted.message
  end
  return hs
end

local message = st.message or ""
if st.phase == "Degraded" then
  hs.status = "Degraded"
  hs.message = message
  return hs
end

if st.phase == "Paused" then
  -- A ReleasePolicy holding the release (a closed window, an upstream not soaked) says so in
  -- the Paused condition; the release goes on by itself, and promotionGateHealthy doesn't
  -- apply: a production release held by a window is waiting, not done.
  for _, c in ipairs(st.conditions or {}) do
    if c.type == "Paused" and c.status == "True" and
        (c.reason == "ReleaseWindowClosed" or c.reason == "UpstreamNotSoaked" or c.reason == "PolicyInvalid") then
      hs.status = "Suspended"
      hs.message = "Held by release policy (" .. c.reason .. "): " .. message
      return hs
    end
  end
  -- status.paused is set for an operator's pause and for an analysis that ended in Error
  -- or Inconclusive; without it the release waits at a `pause: {}` step.
  if st.paused ~= nil then
    hs.status = "Suspended"
    hs.message = "Paused (" .. (st.paused.reason or "unknown") .. "): " .. (st.paused.message or message)
    return hs
  end
  if promotionGateHealthy then
    hs.status = "Healthy"
    hs.message = "Waiting for promotion: " .. message
    return hs
  end
  hs.status = "Suspended"
  hs.message = "Waiting for promotion (promote action or kubectl weir promote): " .. message
  return hs
end

if st.phase == "Healthy" then
  hs.status = "Healthy"
  hs.message = message
  return hs
end

hs.message = message
return hs
