-- Argo CD health check for rollouts.weir.dev/AnalysisRun: the run's verdict.
local hs = {status = "Progressing", message = "Waiting for the first measurement"}
local st = obj.status
if st == nil or st.phase == nil then
  return hs
end
hs.message = st.message or ("Analysis " .. st.phase)
if st.phase == "Successful" then
  hs.status = "Healthy"
elseif st.phase == "Failed" or st.phase == "Error" then
  hs.status = "Degraded"
elseif st.phase == "Inconclusive" then
  -- The Rollout pauses on an inconclusive run and waits for a person: so does Argo CD.
  hs.status = "Suspended"
end
return hs
